// initscope-gui: opens InitScope bundles for inspection.
#include "mainwindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("InitScope"));
    QApplication::setApplicationName(QStringLiteral("initscope-gui"));
    QApplication::setApplicationDisplayName(QStringLiteral("InitScope"));
    QApplication::setApplicationVersion(QStringLiteral(INITSCOPE_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("initscope-gui"));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Shows the processes, output and library searches of recorded runs."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("file"),
                                 QStringLiteral("Bundles (.initscope) to open."),
                                 QStringLiteral("[file...]"));
    parser.process(app);

    initscope::ui::MainWindow window;
    window.show();
    // After the event loop starts, so that an error box for a bad file has a window under it.
    const QStringList files = parser.positionalArguments();
    QTimer::singleShot(0, &window, [&window, files] { window.openBundles(files); });
    return QApplication::exec();
}
