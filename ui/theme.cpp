#include "theme.h"

#include <QEvent>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QWidget>

namespace initscope::ui::theme
{

namespace
{

// Lives as a child of its widget and repaints the roles it was given when the palette changes.
class ColorKeeper : public QObject
{
public:
    explicit ColorKeeper(QWidget *widget) : QObject(widget), m_widget(widget)
    {
        setObjectName(QStringLiteral("initscope-color-keeper"));
        widget->installEventFilter(this);
    }

    void set(QPalette::ColorRole role, const std::function<QColor()> &color)
    {
        m_colors.insert(role, color);
        apply();
    }

protected:
    bool eventFilter(QObject *watched, QEvent *event) override
    {
        // A top-level widget hears of the application's palette, a child of its own palette
        // changing underneath; the change apply() makes itself is let through.
        if (watched == m_widget && !m_applying
            && (event->type() == QEvent::ApplicationPaletteChange || event->type() == QEvent::PaletteChange))
            apply();
        return false;
    }

private:
    void apply()
    {
        if (!m_widget || m_colors.isEmpty())
            return;
        QPalette palette = m_widget->palette();
        bool changed = false;
        for (auto it = m_colors.constBegin(); it != m_colors.constEnd(); ++it) {
            const QColor color = it.value()();
            changed = changed || palette.color(it.key()) != color;
            palette.setColor(it.key(), color);
        }
        if (!changed)
            return;
        m_applying = true;
        m_widget->setPalette(palette);
        m_applying = false;
    }

    QPointer<QWidget> m_widget;
    QHash<QPalette::ColorRole, std::function<QColor()>> m_colors;
    bool m_applying = false;
};

class PaletteWatcher : public QObject
{
public:
    PaletteWatcher(QWidget *widget, std::function<void()> refresh)
        : QObject(widget), m_widget(widget), m_refresh(std::move(refresh))
    {
        setObjectName(QStringLiteral("initscope-palette-watcher"));
        widget->installEventFilter(this);
    }
    void setRefresh(std::function<void()> refresh) { m_refresh = std::move(refresh); }

protected:
    bool eventFilter(QObject *watched, QEvent *event) override
    {
        if (watched == m_widget && m_refresh
            && (event->type() == QEvent::ApplicationPaletteChange || event->type() == QEvent::PaletteChange)) {
            // Rich text rebuilt for the new colours; a palette change it causes is not repeated.
            if (m_refreshing)
                return false;
            m_refreshing = true;
            const std::function<void()> refresh = m_refresh; // the call may replace m_refresh
            refresh();
            m_refreshing = false;
        }
        return false;
    }

private:
    QWidget *m_widget;
    std::function<void()> m_refresh;
    bool m_refreshing = false;
};

ColorKeeper *keeperOf(QWidget *widget, bool create)
{
    for (QObject *child : widget->children())
        if (child->objectName() == QLatin1String("initscope-color-keeper"))
            return static_cast<ColorKeeper *>(child);
    return create ? new ColorKeeper(widget) : nullptr;
}

} // namespace

void setColor(QWidget *widget, const std::function<QColor()> &color, QPalette::ColorRole role)
{
    keeperOf(widget, true)->set(role, color);
}

void onPaletteChange(QWidget *widget, const std::function<void()> &refresh)
{
    for (QObject *child : widget->children()) {
        if (child->objectName() == QLatin1String("initscope-palette-watcher")) {
            static_cast<PaletteWatcher *>(child)->setRefresh(refresh);
            return;
        }
    }
    new PaletteWatcher(widget, refresh);
}

void clearColor(QWidget *widget, QPalette::ColorRole role)
{
    // The application palette's own colour for the role, kept up to date like any other.
    if (ColorKeeper *keeper = keeperOf(widget, false))
        keeper->set(role, [role] { return QGuiApplication::palette().color(role); });
}

} // namespace initscope::ui::theme
