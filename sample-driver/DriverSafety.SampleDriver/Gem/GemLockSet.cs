using DriverSafety.SampleDriver.Kernel;
using DriverSafety.SampleDriver.Resv;

namespace DriverSafety.SampleDriver.Gem;

/// <summary>
/// <c>drm_gem_lock_reservations</c> / <c>drm_exec</c>: the reservations of several objects, locked together with one
/// wound/wait acquire context. Which locks it holds depends on data (the object list), which no lock expression can
/// name, so the set itself is the lock: holding it means every object's reservation is held, and code that needs
/// one object's reservation states it with <see cref="DmaResv.AssertHeld"/>.
/// </summary>
[LockType(LockKind.Sleeping)]
public sealed class GemLockSet
{
    private readonly GemObject[] _objects;
    private WwAcquireContext? _ctx;

    /// <summary>A set over <paramref name="objects"/>; objects that share one reservation are locked once.</summary>
    public GemLockSet(IEnumerable<GemObject> objects)
    {
        var seen = new HashSet<DmaResv>(ReferenceEqualityComparer.Instance);
        var list = new List<GemObject>();
        foreach (var obj in objects)
        {
            if (seen.Add(obj.Resv))
            {
                list.Add(obj);
            }
        }

        _objects = list.ToArray();
    }

    /// <summary>The objects whose reservations the set locks.</summary>
    public IReadOnlyList<GemObject> Objects => _objects;

    /// <summary>How many times a lock attempt had to back off (-EDEADLK) before it succeeded.</summary>
    public int Backoffs { get; private set; }

    /// <summary>
    /// <c>drm_gem_lock_reservations</c>: locks every reservation with one acquire context. On -EDEADLK it drops
    /// everything it holds, sleeps on the contended reservation with <c>LockSlow</c> and retries with that one held.
    /// Returns 0 with all held, or -EINTR with none held.
    /// </summary>
    [TryAcquires(0)]
    [MightSleep]
    public int Lock()
    {
        var ctx = new WwAcquireContext(DmaResv.ReservationWwClass);
        var contended = -1;
        while (true)
        {
            if (contended != -1)
            {
                _objects[contended].Resv.LockSlow(ctx);
            }

            var failed = -1;
            var ret = 0;
            for (var i = 0; i < _objects.Length; i++)
            {
                if (i == contended)
                {
                    continue;
                }

                ret = _objects[i].Resv.LockInterruptible(ctx);
                if (ret != 0)
                {
                    failed = i;
                    break;
                }
            }

            if (failed == -1)
            {
                ctx.Done();
                _ctx = ctx;
                return 0;
            }

            for (var j = 0; j < failed; j++)
            {
                _objects[j].Resv.Unlock();
            }

            if (contended > failed)
            {
                _objects[contended].Resv.Unlock();
            }

            if (ret != -Errno.EDEADLK)
            {
                ctx.Fini();
                return ret;
            }

            Backoffs++;
            contended = failed;
        }
    }

    /// <summary><c>drm_gem_unlock_reservations</c>.</summary>
    [Releases]
    public void Unlock()
    {
        foreach (var obj in _objects)
        {
            obj.Resv.Unlock();
        }

        _ctx?.Fini();
        _ctx = null;
    }

    /// <summary>Reserves <paramref name="num"/> fence slots on every reservation of the set.</summary>
    [Requires("this")]
    [MightSleep]
    public int ReserveFences(int num)
    {
        foreach (var obj in _objects)
        {
            var ret = obj.Resv.ReserveFences(num);
            if (ret != 0)
            {
                return ret;
            }
        }

        return 0;
    }

    /// <summary>Adds <paramref name="fence"/> to every reservation of the set (a job that uses all the objects).</summary>
    [Requires("this")]
    public void AddFence(DmaFence fence, DmaResvUsage usage)
    {
        foreach (var obj in _objects)
        {
            obj.Resv.AddFence(fence, usage);
        }
    }
}
