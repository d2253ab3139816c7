// initscope-gui: opens InitScope bundles for inspection.
#include "bundle.h"
#include "compareview.h"
#include "appearance.h"
#include "mainwindow.h"
#include "rundiff.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QMessageBox>
#include <QThreadPool>
#include <QTimer>

#include <memory>

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
    const QCommandLineOption compare(QStringLiteral("compare"),
                                     QStringLiteral("Compare the first runs of two bundles, A and B, side by side "
                                                    "(A and B given as the two files)."));
    parser.addOption(compare);
    parser.process(app);
    initscope::ui::followSystemColorScheme();

    if (parser.isSet(compare)) {
        const QStringList files = parser.positionalArguments();
        if (files.size() != 2) {
            QMessageBox::critical(nullptr, QStringLiteral("InitScope"), QStringLiteral("--compare needs two bundles, A and B."));
            return 2;
        }
        std::shared_ptr<const initscope::BundleReader> readers[2];
        for (int i = 0; i < 2; ++i) {
            initscope::BundleError error;
            readers[i] = initscope::BundleReader::open(files[i], &error);
            if (!readers[i] || readers[i]->runs().isEmpty()) {
                QMessageBox::critical(nullptr, QStringLiteral("InitScope"),
                                      QStringLiteral("%1 cannot be compared: %2").arg(files[i], error.message));
                return 2;
            }
        }
        const qint64 runA = readers[0]->runs().first().id, runB = readers[1]->runs().first().id;
        initscope::ui::CompareView view;
        view.setWindowTitle(QStringLiteral("Compare — InitScope"));
        view.setRuns(readers[0], runA, readers[1], runB,
                     initscope::diffRuns({readers[0].get(), runA, files[0]},
                                         {readers[1].get(), runB, files[1]}));
        view.resize(1400, 900);
        view.show();
        return QApplication::exec();
    }

    initscope::ui::MainWindow window;
    window.show();
    // After the event loop starts, so that an error box for a bad file has a window under it.
    const QStringList files = parser.positionalArguments();
    QTimer::singleShot(0, &window, [&window, files] { window.openBundles(files); });
    const int status = QApplication::exec();
    // A long run's diagnosis may still be running on a worker thread: let it end while the
    // application is still there.
    QThreadPool::globalInstance()->waitForDone();
    return status;
}
