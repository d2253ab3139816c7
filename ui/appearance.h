// Light or dark, as the desktop prefers. Qt 6.4 takes its palette from the platform theme,
// which is light on GNOME and most other desktops whatever the user chose there (KDE's theme
// is the exception: it hands over the user's colours). The choice is published by the XDG
// desktop portal as org.freedesktop.appearance color-scheme; followSystemColorScheme() reads
// it at start and follows its changes while the program runs.
#pragma once

#include <QPalette>
#include <QStringView>

#include <optional>

namespace initscope::ui
{

enum class ColorScheme {
    System, // the platform theme's own palette
    Light,
    Dark,
};

// "light", "dark" or "system" (any case); std::nullopt for anything else.
std::optional<ColorScheme> colorSchemeFromName(QStringView name);

QPalette lightPalette();
QPalette darkPalette();

// Sets the application palette; System restores the palette the platform gave at start.
void setColorScheme(ColorScheme scheme);

// INITSCOPE_COLOR_SCHEME=light|dark|system when set (a user's override, and how screenshots of
// both palettes are made); otherwise the portal's preference, followed until the program ends.
// A desktop that states none, or no portal at all, keeps the platform's palette.
void followSystemColorScheme();

} // namespace initscope::ui
