// The text a hover over the timeline shows: one call with its arguments, result and duration,
// an output chunk with its text, a line of a collected file, or what a mark of many holds. The
// event's payload, the chunk's bytes or the file's line are read here, for the one item under
// the cursor (docs/timeline.md).
#pragma once

#include "timelineindex.h"

#include <QString>

namespace initscope
{
class TimelineDetails;
}

namespace initscope::ui
{

// Rich text; empty when the item is no longer in the file.
QString describeTimelineItem(const TimelineLane &lane, const TimelineItem &item, TimelineDetails &details);
// calls: the mark is on a row of calls (else among the instants).
QString describeTimelineBucket(const TimelineLane &lane, bool calls, const TimelineBucket &bucket);

} // namespace initscope::ui
