// What every GUI test needs: a QApplication on the offscreen platform with settings kept in
// a temporary folder, model text dumps, and golden-file comparison.
#pragma once

#include <QString>

class QAbstractItemModel;

namespace initscope::testing
{

// Creates the application once per test binary. Settings go to a fresh temporary folder so
// that recent files of a developer's own InitScope are never read or changed.
void ensureApplication();

// Where screenshots and other outputs a person may want to look at go.
QString artifactsDir();
// Where expected dumps live (tests/gui/data).
QString goldenDir();

// One line per row: cells separated by " | ", children indented by two spaces per level,
// display text followed by {fg=#rrggbb}, {bg=#aarrggbb} and {bold} where the model sets them, and a
// header line first. The same text whoever renders the model, so views agree with it.
QString dumpModel(const QAbstractItemModel &model);

// Compares actual with goldenDir()/name and reports the first differing line. The actual text
// is always written to artifactsDir()/name for inspection; with INITSCOPE_UPDATE_GOLDEN=1 in
// the environment the golden file is rewritten instead of compared.
void expectMatchesGolden(const QString &name, const QString &actual);

} // namespace initscope::testing
