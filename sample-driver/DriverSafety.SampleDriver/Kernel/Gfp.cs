namespace DriverSafety.SampleDriver.Kernel;

/// <summary>
/// Allocation flags (<c>gfp_t</c>). Only <see cref="DirectReclaim"/> lets an allocation sleep; with it, <see cref="Io"/>
/// or <see cref="Fs"/> let the allocation recurse into reclaim (shrinkers, MMU notifiers).
/// </summary>
[Flags, AllocationFlags]
public enum Gfp : uint
{
    None = 0,
    [MaySleepFlag] DirectReclaim = 1 << 0,
    KswapdReclaim = 1 << 1,
    [ReclaimFlag] Io = 1 << 2,
    [ReclaimFlag] Fs = 1 << 3,
    HighPriority = 1 << 4,
    /// <summary><c>__GFP_ZERO</c>: return zeroed memory (every simulated allocation is zeroed anyway).</summary>
    Zero = 1 << 5,
    /// <summary><c>__GFP_NOWARN</c>: do not report an allocation failure.</summary>
    NoWarn = 1 << 6,
    Kernel = DirectReclaim | KswapdReclaim | Io | Fs,
    NoIo = DirectReclaim | KswapdReclaim,
    NoFs = DirectReclaim | KswapdReclaim | Io,
    Atomic = HighPriority | KswapdReclaim,
    NoWait = KswapdReclaim,
}

/// <summary>The kernel's gfp helpers (<c>gfpflags_allow_blocking</c> and friends).</summary>
public static class GfpFlags
{
    /// <summary><c>gfpflags_allow_blocking</c>: the allocation may sleep.</summary>
    public static bool AllowBlocking(Gfp gfp) => (gfp & Gfp.DirectReclaim) != 0;

    /// <summary>The allocation may sleep and may recurse into reclaim (the <c>fs_reclaim</c> lockdep map).</summary>
    public static bool MayEnterReclaim(Gfp gfp) => AllowBlocking(gfp) && (gfp & (Gfp.Io | Gfp.Fs)) != 0;
}
