// The few colours that carry meaning in InitScope's views. Each has a variant for light and
// one for dark palettes, chosen for a contrast of at least 3:1 against the palette's base,
// alternate base and window colours (tests/gui/tst_desktop.cpp checks it); models return them
// through Qt::ForegroundRole, so they follow the palette of the moment.
#pragma once

#include <QColor>
#include <QGuiApplication>
#include <QPalette>

#include <functional>

class QWidget;

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

// Gives widget's role (its text, by default) the colour color() returns, now and again each time
// the application's palette changes (a switch between light and dark while the window is open):
// the widget's other roles keep following the palette. A later call replaces the colour;
// clearColor() gives the role back to the palette.
void setColor(QWidget *widget, const std::function<QColor()> &color,
              QPalette::ColorRole role = QPalette::WindowText);
void clearColor(QWidget *widget, QPalette::ColorRole role = QPalette::WindowText);
// Calls refresh each time the application's palette changes, for a widget whose text carries
// these colours in rich text; a later call replaces the refresh.
void onPaletteChange(QWidget *widget, const std::function<void()> &refresh);

} // namespace initscope::ui::theme
