// "workingset: add missing rcu_read_unlock() in lru_gen_refault()", mm tree / linux-next, spring 2023; it fixes
// "workingset: refactor LRU refault to expose refault recency check", a patch of Nhat Pham's cachestat series.
//
// The story. lru_gen_refault() looks up the memory cgroup and lruvec of an evicted page inside an RCU read-side
// critical section. The refactor split out the recency check and left a way out of the function that returned
// with the RCU read lock still held: every later sleep on that CPU would be a sleep in an RCU read-side section,
// and the grace period would never end.
//
// The fix. The early exit goes through the label that calls rcu_read_unlock().
//
// Rule: DRV2003 at the raise (rcu_read_lock) whose depth is still raised at an exit.
using DriverSafety.SampleDriver.Kernel;

namespace DriverSafety.SampleDriver.BugGallery.WorkingsetRcuUnbalanced;

internal static class Buggy
{
    internal sealed class Lruvec
    {
        internal long Refaults;

        internal bool Recent(long token) => (token & 1) != 0;
    }

    /// <summary>lru_gen_refault after the refactor.</summary>
    internal static void LruGenRefault(Lruvec? lruvec, long token)
    {
        Rcu.ReadLock(); // DRV2003
        if (lruvec is null)
        {
            goto unlock;
        }

        if (!lruvec.Recent(token))
        {
            return;
        }

        lruvec.Refaults++;
    unlock:
        Rcu.ReadUnlock();
    }
}

internal static class Fixed
{
    internal sealed class Lruvec
    {
        internal long Refaults;

        internal bool Recent(long token) => (token & 1) != 0;
    }

    internal static void LruGenRefault(Lruvec? lruvec, long token)
    {
        Rcu.ReadLock();
        if (lruvec is null)
        {
            goto unlock;
        }

        if (!lruvec.Recent(token))
        {
            goto unlock;
        }

        lruvec.Refaults++;
    unlock:
        Rcu.ReadUnlock();
    }
}
