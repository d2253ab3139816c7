// The few colours that carry meaning in InitScope's views. Chosen to stay readable on both
// light and dark palettes; models return them through Qt::ForegroundRole.
#pragma once

#include <QColor>

namespace initscope::ui::theme
{

inline QColor failure()
{
    return QColor(0xd3, 0x2f, 0x2f);
} // non-zero exit, signal, not found
inline QColor stderrText()
{
    return QColor(0xc6, 0x28, 0x28);
}
// Translucent, so it tints light and dark bases alike.
inline QColor stderrBackground()
{
    return QColor(0xd3, 0x2f, 0x2f, 0x1c);
}
inline QColor warning()
{
    return QColor(0xb2, 0x6a, 0x00);
} // a contributing cause: worth a look, not the root
inline QColor muted()
{
    return QColor(0x80, 0x80, 0x80);
} // exec'd, unknown, missing files
inline QColor success()
{
    return QColor(0x2e, 0x7d, 0x32);
} // the candidate that was loaded

} // namespace initscope::ui::theme
