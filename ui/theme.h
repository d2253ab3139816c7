// The few colours that carry meaning in InitScope's views. Each has a variant for light and
// one for dark palettes, chosen for a contrast of at least 3:1 against the palette's base,
// alternate base and window colours (tests/gui/tst_desktop.cpp checks it); models return them
// through Qt::ForegroundRole, so they follow the palette of the moment.
#pragma once

#include <QColor>
#include <QGuiApplication>
#include <QPalette>

namespace initscope::ui::theme
{

// True while the application's palette is dark: its base is darker than its text.
inline bool darkPalette()
{
    const QPalette palette = QGuiApplication::palette();
    return palette.color(QPalette::Base).lightness() < palette.color(QPalette::Text).lightness();
}

inline QColor failure()
{
    return darkPalette() ? QColor(0xff, 0x6b, 0x6b) : QColor(0xd3, 0x2f, 0x2f);
} // non-zero exit, signal, not found
inline QColor stderrText()
{
    return darkPalette() ? QColor(0xff, 0x80, 0x80) : QColor(0xc6, 0x28, 0x28);
}
// Translucent, so it tints light and dark bases alike.
inline QColor stderrBackground()
{
    return QColor(0xd3, 0x2f, 0x2f, 0x1c);
}
inline QColor warning()
{
    return darkPalette() ? QColor(0xf0, 0xa0, 0x30) : QColor(0xb2, 0x6a, 0x00);
} // a contributing cause: worth a look, not the root
inline QColor muted()
{
    return darkPalette() ? QColor(0xa0, 0xa0, 0xa0) : QColor(0x80, 0x80, 0x80);
} // exec'd, unknown, missing files
inline QColor success()
{
    return darkPalette() ? QColor(0x66, 0xbb, 0x6a) : QColor(0x2e, 0x7d, 0x32);
} // the candidate that was loaded

} // namespace initscope::ui::theme
