using DriverSafety.SampleDriver.Gem;
using DriverSafety.SampleDriver.Mm;

namespace DriverSafety.SampleDriver.Vgem;

/// <summary>
/// The vgem shrinker (<c>drm_gem_shmem_shrinker</c>): purges objects userspace marked DONTNEED. It runs in reclaim,
/// so it only try-locks reservations (<see cref="GemLru.Scan"/>) and takes only locks under which nothing allocates
/// (the LRU lock, address-space mutexes).
/// </summary>
public sealed class VgemShrinker : Shrinker
{
    private readonly GemDevice _dev;

    public VgemShrinker(GemDevice dev)
        : base("vgem-" + dev.Name)
    {
        _dev = dev;
    }

    /// <summary>Objects purged so far.</summary>
    public int Purged { get; private set; }

    [ReclaimContext]
    [MightSleep]
    public override long Count() => _dev.Lru.CountPages();

    [ReclaimContext]
    [MightSleep]
    public override long Scan(int nrToScan)
    {
        var freed = _dev.Lru.Scan(nrToScan, PurgeOne, out _);
        return freed;
    }

    [Requires("obj.Resv")]
    private bool PurgeOne(GemObject obj)
    {
        if (!obj.PurgeLocked())
        {
            return false;
        }

        Purged++;
        return true;
    }
}
