using DriverSafety.SampleDriver.Kernel;

namespace DriverSafety.SampleDriver.Mm;

/// <summary>
/// Memory reclaim. <see cref="Run"/> is what an allocation that may sleep does when memory is short (direct reclaim)
/// and what kswapd does in the background: it marks the thread as reclaiming (<c>PF_MEMALLOC</c>, so its own
/// allocations do not recurse), holds lockdep's <c>fs_reclaim</c> map (so every lock a shrinker or an MMU notifier
/// takes is ordered after reclaim), calls the shrinkers, and then unmaps unpinned anonymous pages, which calls the
/// MMU notifiers of their address spaces.
/// </summary>
public static class Reclaim
{
    private static readonly SpinLock s_lruLock = new("Reclaim.LruLock");

    [GuardedBy("s_lruLock")]
    private static readonly List<WeakReference<MmStruct>> s_mms = new();

    private static long s_runs;

    /// <summary>How many times reclaim ran.</summary>
    public static long Runs => System.Threading.Interlocked.Read(ref s_runs);

    /// <summary>
    /// Reclaims up to <paramref name="nrToReclaim"/> pages on behalf of an allocation with <paramref name="gfp"/>.
    /// Reports entering reclaim for flags that do not allow direct reclaim. Returns the pages (or objects) freed.
    /// </summary>
    [MightSleep]
    public static long Run(Gfp gfp, long nrToReclaim)
    {
        if (!GfpFlags.AllowBlocking(gfp))
        {
            RuntimeCheck.Report(RuntimeViolationKind.ReclaimNotAllowed, $"direct reclaim entered for an allocation with {gfp}, which may not sleep");
            return 0;
        }

        RuntimeCheck.MightSleep("direct reclaim");
        if (RuntimeCheck.InReclaim || nrToReclaim <= 0)
        {
            return 0;
        }

        System.Threading.Interlocked.Increment(ref s_runs);
        RuntimeCheck.EnterReclaim();
        try
        {
            var freed = ShrinkerRegistry.ShrinkSlab(nrToReclaim);
            if (freed < nrToReclaim && (gfp & Gfp.Io) != 0)
            {
                freed += ShrinkAnonymous(nrToReclaim - freed);
            }

            return freed;
        }
        finally
        {
            RuntimeCheck.ExitReclaim();
        }
    }

    /// <summary>Direct reclaim from the page allocator.</summary>
    [MightSleep]
    internal static long DirectReclaim(Gfp gfp, long nrPages) => Run(gfp, Math.Max(nrPages, 32));

    /// <summary>One pass of kswapd: background reclaim in its own clean context.</summary>
    [MightSleep]
    public static long Kswapd(long nrToReclaim) => Run(Gfp.Kernel, nrToReclaim);

    internal static void Track(MmStruct mm)
    {
        s_lruLock.Lock();
        s_mms.RemoveAll(w => !w.TryGetTarget(out _));
        s_mms.Add(new WeakReference<MmStruct>(mm));
        s_lruLock.Unlock();
    }

    internal static void Untrack(MmStruct mm)
    {
        s_lruLock.Lock();
        s_mms.RemoveAll(w => !w.TryGetTarget(out var target) || ReferenceEquals(target, mm));
        s_lruLock.Unlock();
    }

    [MightSleep]
    private static long ShrinkAnonymous(long nrToReclaim)
    {
        var mms = new List<MmStruct>();
        s_lruLock.Lock();
        foreach (var weak in s_mms)
        {
            if (weak.TryGetTarget(out var mm))
            {
                mms.Add(mm);
            }
        }

        s_lruLock.Unlock();

        long freed = 0;
        foreach (var mm in mms)
        {
            if (freed >= nrToReclaim)
            {
                break;
            }

            freed += mm.ReclaimAnonymousPages(nrToReclaim - freed);
        }

        return freed;
    }
}
