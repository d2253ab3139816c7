// CallClock: the recorder's call clock (TSC ticks) turned into the run's monotonic time, from
// readings of both clocks taken together (core/ingestcalls.h).
#include "ingestcalls.h"

#include <gtest/gtest.h>

using namespace initscope;

TEST(CallClock, TicksBetweenTwoReadingsAreInterpolated)
{
    CallClock clock;
    clock.setTicksAreNs(false);
    clock.addReading(1'000'000, 5'000'000); // 3 ticks per ns between these two
    clock.addReading(4'000'000, 6'000'000);
    clock.finish();
    EXPECT_EQ(clock.toMonotonic(1'000'000), 5'000'000u);
    EXPECT_EQ(clock.toMonotonic(2'500'000), 5'500'000u);
    EXPECT_EQ(clock.toMonotonic(4'000'000), 6'000'000u);
    EXPECT_NEAR(clock.nsPerTick(), 1.0 / 3.0, 1e-12);
}

TEST(CallClock, EachStretchUsesItsNearestReadingsAndTheEndsExtrapolateAtTheOverallRate)
{
    CallClock clock;
    clock.setTicksAreNs(false);
    // The rate drifts a little between readings (the kernel slews CLOCK_MONOTONIC).
    clock.addReading(100, 1'000);
    clock.addReading(2'000'100, 1'001'000);
    clock.addReading(4'000'100, 2'000'500);
    clock.finish();
    EXPECT_EQ(clock.toMonotonic(1'000'100), 501'000u);
    EXPECT_EQ(clock.toMonotonic(3'000'100), 1'500'750u);
    // Outside the readings: the rate over all of them (1,999,500 ns over 4,000,000 ticks).
    EXPECT_EQ(clock.toMonotonic(6'000'100), 2'000'500u + 999'750u);
    EXPECT_EQ(clock.toMonotonic(100), 1'000u);
}

TEST(CallClock, AReadingThatRunsBackwardsIsDroppedSoTheMappingNeverDoes)
{
    CallClock clock;
    clock.setTicksAreNs(false);
    clock.addReading(1'000, 1'000);
    clock.addReading(2'000, 900); // taken within the jitter of the first: out of order
    clock.addReading(3'000, 3'000);
    clock.finish();
    quint64 last = 0;
    for (quint64 t = 1'000; t <= 3'000; t += 100) {
        const quint64 ns = clock.toMonotonic(t);
        EXPECT_GE(ns, last) << t;
        last = ns;
    }
    EXPECT_EQ(clock.toMonotonic(2'000), 2'000u);
}

TEST(CallClock, RingsThatKeepMonotonicNanosecondsAreTakenAsTheyAre)
{
    CallClock clock; // identity until told otherwise
    clock.addReading(10, 99'999);
    clock.finish();
    EXPECT_TRUE(clock.ticksAreNs());
    EXPECT_EQ(clock.toMonotonic(123'456'789), 123'456'789u);
}

TEST(CallClock, TicksThatExtrapolatePastTheRangeOfNanosecondsSaturateInsteadOfWrapping)
{
    // Readings no recorder writes (a damaged ring): a thousand ns per tick, then ticks near the
    // top of the range. The result must stay a time, the largest one or zero.
    CallClock clock;
    clock.setTicksAreNs(false);
    clock.addReading(1, 1'000);
    clock.addReading(2, 2'000);
    clock.finish();
    EXPECT_EQ(clock.toMonotonic(~quint64(0)), ~quint64(0));
    EXPECT_EQ(clock.toMonotonic(quint64(1) << 62), ~quint64(0));
    EXPECT_EQ(clock.toMonotonic(2), 2'000u);

    CallClock backwards; // readings far apart in ns: a tick before the first lands before zero
    backwards.setTicksAreNs(false);
    backwards.addReading(1'000'000, 1'000);
    backwards.addReading(1'000'001, 1'000'000'000'000);
    backwards.finish();
    EXPECT_EQ(backwards.toMonotonic(1), 0u);
}
