using System.Threading;
using DriverSafety.SampleDriver.Kernel;

namespace DriverSafety.SampleDriver.Mm;

/// <summary>Why an invalidation happens (<c>enum mmu_notifier_event</c>).</summary>
public enum MmuNotifierEvent
{
    Unmap,
    Clear,
    ProtectionVma,
    Release,
}

/// <summary><c>struct mmu_notifier_range</c>.</summary>
public sealed record MmuNotifierRange(MmStruct Mm, ulong Start, ulong End, bool Blockable, MmuNotifierEvent Event)
{
    /// <summary>Whether <c>[start, end)</c> overlaps the range.</summary>
    public bool Overlaps(ulong start, ulong end) => start < End && Start < end;
}

/// <summary>
/// <c>struct mmu_notifier</c>: told before and after the CPU page tables of a range change. The callbacks run from
/// reclaim (<see cref="ReclaimContextAttribute"/>): a lock they take must never be held across an allocation that may
/// recurse into reclaim (seed 002). With <see cref="MmuNotifierRange.Blockable"/> false they must not sleep and
/// return <c>-EAGAIN</c> instead.
/// </summary>
public abstract class MmuNotifier
{
    private int _active;

    /// <summary>The address space the notifier is registered on.</summary>
    public MmStruct? Mm { get; internal set; }

    /// <summary><c>invalidate_range_start</c>: stop using the pages of the range. 0, or <c>-EAGAIN</c> when not blockable.</summary>
    [ReclaimContext]
    public abstract int InvalidateRangeStart(MmuNotifierRange range);

    /// <summary><c>invalidate_range_end</c>: the page tables of the range changed; new lookups may proceed.</summary>
    [ReclaimContext]
    public virtual void InvalidateRangeEnd(MmuNotifierRange range)
    {
    }

    /// <summary><c>release</c>: the address space is going away.</summary>
    public virtual void Release(MmStruct mm)
    {
    }

    internal int StartInvalidate(MmuNotifierRange range)
    {
        Interlocked.Increment(ref _active);
        var ret = InvalidateRangeStart(range);
        if (ret != 0)
        {
            Interlocked.Decrement(ref _active);
        }

        return ret;
    }

    internal void EndInvalidate(MmuNotifierRange range)
    {
        InvalidateRangeEnd(range);
        Interlocked.Decrement(ref _active);
    }

    /// <summary>Waits until no callback runs (the SRCU grace period of unregistering).</summary>
    [MightSleep]
    internal void WaitIdle()
    {
        while (Volatile.Read(ref _active) != 0)
        {
            Sched.Msleep(1);
        }
    }
}

/// <summary>
/// <c>struct mmu_interval_notifier</c>: the answer to seed 003's race. A driver that mirrors user pages (userptr) reads
/// a sequence number with <see cref="ReadBegin"/>, gets the pages without its own lock, then takes its lock and
/// checks <see cref="ReadRetry"/> before publishing them; <see cref="Invalidate"/> takes the same lock, so a page
/// that was unmapped in between is never used.
/// </summary>
public abstract class MmuIntervalNotifier : MmuNotifier
{
    private long _seq;
    private int _invalidating;

    protected MmuIntervalNotifier(ulong start, ulong length)
    {
        Start = start;
        End = start + length;
    }

    public ulong Start { get; }

    public ulong End { get; }

    /// <summary><c>mmu_interval_read_begin</c>: waits out a running invalidation, then returns the sequence number.</summary>
    [MightSleep]
    public long ReadBegin()
    {
        RuntimeCheck.MightSleep("mmu_interval_read_begin");
        while (Volatile.Read(ref _invalidating) != 0)
        {
            Sched.Msleep(1);
        }

        return Interlocked.Read(ref _seq);
    }

    /// <summary><c>mmu_interval_read_retry</c>: true if an invalidation started since <paramref name="seq"/>.</summary>
    public bool ReadRetry(long seq) => Volatile.Read(ref _invalidating) != 0 || Interlocked.Read(ref _seq) != seq;

    /// <inheritdoc />
    [ReclaimContext]
    public sealed override int InvalidateRangeStart(MmuNotifierRange range)
    {
        if (!range.Overlaps(Start, End))
        {
            return 0;
        }

        Interlocked.Increment(ref _invalidating);
        var seq = Interlocked.Increment(ref _seq);
        if (!Invalidate(range, seq))
        {
            Interlocked.Decrement(ref _invalidating);
            return -Errno.EAGAIN;
        }

        return 0;
    }

    /// <inheritdoc />
    [ReclaimContext]
    public sealed override void InvalidateRangeEnd(MmuNotifierRange range)
    {
        if (range.Overlaps(Start, End))
        {
            Interlocked.Decrement(ref _invalidating);
        }
    }

    /// <summary><c>ops->invalidate</c>: drop the device's use of the range; false to refuse a non-blockable one.</summary>
    [ReclaimContext]
    protected abstract bool Invalidate(MmuNotifierRange range, long currentSeq);
}
