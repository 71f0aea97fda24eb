using DriverSafety.SampleDriver.Kernel;

namespace DriverSafety.SampleDriver.Mm;

/// <summary>
/// <c>struct shrinker</c>: a cache that gives memory back under pressure. Both callbacks run from reclaim
/// (<see cref="ReclaimContextAttribute"/>): a lock they take blocking must never be held across an allocation that may
/// recurse into reclaim, which is why shrinkers usually only try-lock (seed 002).
/// </summary>
public abstract class Shrinker
{
    /// <summary><c>SHRINK_STOP</c>: <see cref="Scan"/> cannot make progress now.</summary>
    public const long ShrinkStop = -1;

    /// <summary><c>SHRINK_BATCH</c>.</summary>
    public const int DefaultBatch = 128;

    private long _scanned;
    private long _freed;

    protected Shrinker(string name) => Name = name;

    public string Name { get; }

    /// <summary>Objects handed to <see cref="Scan"/> at a time.</summary>
    public int Batch { get; init; } = DefaultBatch;

    /// <summary>Objects asked to be scanned so far.</summary>
    public long ScannedTotal => System.Threading.Interlocked.Read(ref _scanned);

    /// <summary>Objects freed so far.</summary>
    public long FreedTotal => System.Threading.Interlocked.Read(ref _freed);

    /// <summary><c>count_objects</c>: how many objects could be freed (0 if none).</summary>
    [ReclaimContext]
    public abstract long Count();

    /// <summary><c>scan_objects</c>: free up to <paramref name="nrToScan"/> objects; the number freed or <see cref="ShrinkStop"/>.</summary>
    [ReclaimContext]
    public abstract long Scan(int nrToScan);

    internal void Account(long scanned, long freed)
    {
        System.Threading.Interlocked.Add(ref _scanned, scanned);
        System.Threading.Interlocked.Add(ref _freed, freed);
    }
}

/// <summary>The registered shrinkers (<c>shrinker_list</c> under <c>shrinker_rwsem</c>).</summary>
public static class ShrinkerRegistry
{
    [GuardedBy("Rwsem")]
    private static readonly List<Shrinker> s_shrinkers = new();

    /// <summary><c>shrinker_rwsem</c>: reclaim holds it for read while it calls shrinkers.</summary>
    public static RwSemaphore Rwsem { get; } = new("ShrinkerRegistry.Rwsem");

    /// <summary>Number of registered shrinkers.</summary>
    public static int RegisteredCount
    {
        [MightSleep]
        get
        {
            Rwsem.DownRead();
            var count = s_shrinkers.Count;
            Rwsem.UpRead();
            return count;
        }
    }

    /// <summary><c>register_shrinker</c>.</summary>
    [MightSleep]
    public static void Register(Shrinker shrinker)
    {
        Rwsem.DownWrite();
        if (!s_shrinkers.Contains(shrinker))
        {
            s_shrinkers.Add(shrinker);
        }

        Rwsem.UpWrite();
    }

    /// <summary><c>unregister_shrinker</c>: waits for a running scan, since reclaim holds the semaphore for read.</summary>
    [MightSleep]
    public static void Unregister(Shrinker shrinker)
    {
        Rwsem.DownWrite();
        s_shrinkers.Remove(shrinker);
        Rwsem.UpWrite();
    }

    /// <summary>
    /// <c>shrink_slab</c>: asks every shrinker for its count and scans in batches. Only try-locks the semaphore, so
    /// reclaim never waits behind a registration.
    /// </summary>
    internal static long ShrinkSlab(long nrToScan)
    {
        if (!Rwsem.DownReadTrylock())
        {
            return 0;
        }

        long freed = 0;
        foreach (var shrinker in s_shrinkers.ToArray())
        {
            var count = shrinker.Count();
            if (count <= 0)
            {
                continue;
            }

            var remaining = Math.Min(count, nrToScan);
            while (remaining > 0)
            {
                var batch = (int)Math.Min(remaining, shrinker.Batch);
                var ret = shrinker.Scan(batch);
                if (ret == Shrinker.ShrinkStop)
                {
                    break;
                }

                shrinker.Account(batch, ret);
                freed += ret;
                remaining -= batch;
            }
        }

        Rwsem.UpRead();
        return freed;
    }
}
