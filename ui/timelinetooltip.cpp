#include "timelinetooltip.h"

#include "displaytext.h"
#include "format.h"
#include "theme.h"
#include "timelinesource.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace initscope::ui
{

namespace
{

// Text of the bundle in the tooltip's HTML: escaped (core/displaytext.h), line breaks kept
// where the tooltip puts several lines together, and bounded.
QString html(const QString &text)
{
    return display::elide(text, 4000, display::Breaks::Keep).toHtmlEscaped();
}

QString colorName(const QColor &c)
{
    return c.name(QColor::HexRgb);
}

// key=value of a JSON object, one per line, values as compact JSON or plain text.
QStringList describeObject(const QJsonObject &object, int limit)
{
    QStringList lines;
    for (auto it = object.begin(); it != object.end() && lines.size() < limit; ++it) {
        const QJsonValue v = it.value();
        QString value;
        if (v.isString())
            value = v.toString();
        else if (v.isObject())
            value = QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
        else if (v.isArray())
            value = QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact));
        else if (v.isBool())
            value = v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
        else if (v.isDouble())
            value = QString::number(v.toDouble(), 'g', 17);
        else
            value = QStringLiteral("null");
        // One line each: a line break inside a value cannot make it look like two.
        lines.append(QStringLiteral("%1 = %2").arg(display::elide(it.key(), 80), display::elide(value, 160)));
    }
    if (object.size() > limit)
        lines.append(QStringLiteral("… %1 more").arg(object.size() - limit));
    return lines;
}

} // namespace

QString describeTimelineBucket(const TimelineLane &lane, bool calls, const TimelineBucket &bucket)
{
    const QString what = calls ? QStringLiteral("calls") : QStringLiteral("events");
    QString text = QStringLiteral("<b>%1 %2</b>").arg(bucket.count).arg(what);
    if (bucket.failed > 0)
        text += QStringLiteral(", <span style=\"color:%1\"><b>%2 failed</b></span>")
                    .arg(colorName(theme::failure()))
                    .arg(bucket.failed);
    text += QStringLiteral("<br>mostly %1 · %2 to %3 · %4")
                .arg(timelineFamilyName(bucket.family), formatDuration(bucket.startNs),
                     formatDuration(bucket.endNs), html(lane.title));
    text += QStringLiteral("<br><i>Too close to tell apart at this zoom: zoom in or double-click.</i>");
    return text;
}

QString describeTimelineItem(const TimelineLane &lane, const TimelineItem &item, TimelineDetails &details)
{
    const QString failureColor = colorName(theme::failure());
    QStringList lines;
    if (item.flags & TimelineFromCollected) {
        lines.append(QStringLiteral("<b>%1</b> · line %2 at %3")
                         .arg(html(lane.title), QString::number(item.nameId), formatDuration(item.startNs)));
        const QString text = details.collectedLine(item.id, int(item.nameId));
        if (!text.isEmpty())
            lines.append(QStringLiteral("<pre>%1</pre>").arg(html(text)));
        lines.append(QStringLiteral("collected file %1").arg(html(lane.subtitle)));
        return lines.join(QStringLiteral("<br>"));
    }
    if (item.flags & TimelineFromOutput) {
        qsizetype total = 0;
        const std::optional<OutputChunk> chunk = details.output(item.id, 600, &total);
        const bool err = item.flags & TimelineStderr;
        lines.append(QStringLiteral("<b>%1</b> · %2 bytes at %3")
                         .arg(err ? QStringLiteral("stderr") : QStringLiteral("stdout"))
                         .arg(total)
                         .arg(formatDuration(item.startNs)));
        if (chunk) {
            QString text = safeText(chunk->data).trimmed();
            if (total > chunk->data.size())
                text += QStringLiteral(" …");
            lines.append(QStringLiteral("<pre>%1</pre>").arg(html(text)));
        }
        lines.append(html(lane.title));
        return lines.join(QStringLiteral("<br>"));
    }
    const std::optional<Event> event = details.event(item.id);
    if (!event)
        return {};
    const QJsonObject payload = QJsonDocument::fromJson(event->payload).object();
    const bool call = isCallFamily(item.family);
    QString head = QStringLiteral("<b>%1</b> · %2").arg(html(event->name.isEmpty() ? event->kind : event->name),
                                                       html(event->kind));
    if (item.failed())
        head += QStringLiteral(" · <span style=\"color:%1\"><b>%2</b></span>")
                    .arg(failureColor, item.flags & TimelineUnfinished ? QStringLiteral("did not return")
                                                                        : QStringLiteral("failed"));
    lines.append(head);
    const QString summary = payload.value(QLatin1String("summary")).toString();
    if (!summary.isEmpty())
        lines.append(html(summary));
    if (call) {
        const QJsonObject args = payload.value(QLatin1String("args")).toObject();
        if (!args.isEmpty()) {
            QStringList escaped;
            for (const QString &line : describeObject(args, 12))
                escaped.append(html(line));
            lines.append(QStringLiteral("<i>arguments</i><br>&nbsp;&nbsp;")
                         + escaped.join(QStringLiteral("<br>&nbsp;&nbsp;")));
        }
        const QJsonValue result = payload.value(QLatin1String("result"));
        if (result.isObject()) {
            const QJsonObject r = result.toObject();
            QString text = r.value(QLatin1String("name")).toString();
            if (text.isEmpty())
                text = QString::fromUtf8(QJsonDocument(r).toJson(QJsonDocument::Compact));
            const QString message = r.value(QLatin1String("message")).toString();
            if (!message.isEmpty())
                text += QStringLiteral(" (%1)").arg(message);
            lines.append(QStringLiteral("<i>result</i> %1").arg(html(text)));
        } else if (!result.isUndefined()) {
            // "value = …" of the one-entry object is the value as text.
            const QString text = describeObject(QJsonObject{{QStringLiteral("value"), result}}, 1).value(0);
            lines.append(QStringLiteral("<i>result</i> %1").arg(html(text.mid(8))));
        }
        lines.append(QStringLiteral("at %1 · took %2").arg(formatDuration(item.startNs),
                                                            formatDuration(item.endNs - item.startNs)));
    } else {
        const QStringList facts = describeObject(payload, 8);
        if (!facts.isEmpty() && summary.isEmpty())
            lines.append(html(facts.join(QLatin1Char('\n'))).replace(QLatin1Char('\n'), QStringLiteral("<br>")));
        lines.append(QStringLiteral("at %1").arg(formatDuration(item.startNs)));
    }
    lines.append(html(lane.title));
    return QStringLiteral("<div style=\"white-space:pre-wrap\">%1</div>").arg(lines.join(QStringLiteral("<br>")));
}

} // namespace initscope::ui
