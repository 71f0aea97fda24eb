using Interlocked = System.Threading.Interlocked;
using Volatile = System.Threading.Volatile;
using DriverSafety.SampleDriver.Kernel;

namespace DriverSafety.SampleDriver.Resv;

/// <summary>
/// <c>enum dma_resv_usage</c>: how a fence uses the buffer. Asking for a usage returns the fences of that usage and
/// of every stronger one (<see cref="Kernel"/> is the strongest).
/// </summary>
public enum DmaResvUsage
{
    /// <summary>Kernel memory management (moves, clears): everyone waits for it.</summary>
    Kernel = 0,
    /// <summary>Implicitly synchronised writes (the old "exclusive" fence).</summary>
    Write = 1,
    /// <summary>Implicitly synchronised reads (the old "shared" fences).</summary>
    Read = 2,
    /// <summary>Bookkeeping only (page-table updates): waited for only by memory management.</summary>
    Bookkeep = 3,
}

/// <summary>
/// <c>struct dma_resv</c>: the reservation object of a buffer. A <see cref="WwMutex"/> of the global
/// <see cref="ReservationWwClass"/> protects the fence slots; several reservations are locked together with one
/// <see cref="WwAcquireContext"/> and the -EDEADLK back-off. Readers that cannot take the lock (reclaim, waiters) read
/// an RCU-published snapshot of the slots.
/// </summary>
[LockType(LockKind.Sleeping)]
public sealed class DmaResv
{
    /// <summary><c>reservation_ww_class</c>: the one wound/wait class every reservation belongs to.</summary>
    public static readonly WwClass ReservationWwClass = new("reservation_ww_class");

    private static long s_seq;

    private readonly WwMutex _lock;

    /// <summary>The fence slots, in the order they were added; the first <see cref="_numFences"/> are in use.</summary>
    [GuardedBy("this")]
    private DmaResvFence[] _fences = Array.Empty<DmaResvFence>();

    [GuardedBy("this")]
    private int _numFences;

    /// <summary>Slots reserved by <see cref="ReserveFences"/> and not yet filled (<c>max_fences - num_fences</c>).</summary>
    [GuardedBy("this")]
    private int _reserved;

    /// <summary>The kmalloc'ed fence array backing <see cref="_fences"/> (accounted by the slab checker).</summary>
    [GuardedBy("this")]
    private byte[]? _storage;

    /// <summary>The RCU-published copy of the used slots: written only under the lock, read under <see cref="Rcu"/>.</summary>
    [GuardedBy("this", WritesOnly = true)]
    private DmaResvFence[] _published = Array.Empty<DmaResvFence>();

    /// <summary><c>dma_resv_init</c>.</summary>
    public DmaResv(string name)
    {
        Name = name + "#" + Interlocked.Increment(ref s_seq).ToString(System.Globalization.CultureInfo.InvariantCulture);
        _lock = new WwMutex(ReservationWwClass, Name);
    }

    /// <summary>A name for reports.</summary>
    public string Name { get; }

    /// <summary><c>dma_resv_is_locked</c>: someone holds the lock (not necessarily the caller).</summary>
    public bool IsLocked => _lock.IsLocked;

    /// <summary><c>dma_resv_locking_ctx</c>: the acquire context the lock was taken with, if any.</summary>
    public WwAcquireContext? LockingContext => _lock.HolderContext;

    /// <summary>
    /// <c>dma_resv_lock</c>: 0 when the lock is now held; with a context, -EDEADLK when the caller must drop every
    /// reservation it holds with <paramref name="ctx"/>, take this one with <see cref="LockSlow"/> and retry, and
    /// -EALREADY when the context already holds this reservation.
    /// </summary>
    [TryAcquires(0)]
    [MightSleep]
    public int Lock([AcquireContext] WwAcquireContext? ctx) => _lock.Lock(ctx);

    /// <summary><c>dma_resv_lock_interruptible</c>: as <see cref="Lock"/>, and -EINTR when a signal is pending.</summary>
    [TryAcquires(0)]
    [MightSleep]
    public int LockInterruptible([AcquireContext] WwAcquireContext? ctx) => _lock.LockInterruptible(ctx);

    /// <summary>
    /// <c>dma_resv_lock_slow</c>: after -EDEADLK, with every other reservation of <paramref name="ctx"/> released,
    /// sleeps until this one is free and takes it. Cannot fail.
    /// </summary>
    [Acquires]
    [MightSleep]
    public void LockSlow([AcquireContext] WwAcquireContext ctx) => _lock.LockSlow(ctx);

    /// <summary><c>dma_resv_trylock</c>: never sleeps; the only way to take a reservation from reclaim.</summary>
    [TryAcquires(true)]
    public bool TryLock() => _lock.TryLock();

    /// <summary><c>dma_resv_unlock</c>.</summary>
    [Releases]
    public void Unlock() => _lock.Unlock();

    /// <summary><c>dma_resv_assert_held</c>.</summary>
    [AssertsHeld]
    public void AssertHeld() => _lock.AssertHeld();

    /// <summary><c>guard(dma_resv)</c>: <c>using var g = resv.LockScoped();</c> holds the lock until the end of the scope.</summary>
    [Acquires]
    [MightSleep]
    public DmaResvGuard LockScoped()
    {
        _lock.Lock(null);
        return new DmaResvGuard(this);
    }

    /// <summary>
    /// <c>dma_resv_reserve_fences</c>: makes room for <paramref name="num"/> more fences. Allocates with GFP_KERNEL
    /// under the reservation lock, which is why reclaim may only ever try-lock a reservation.
    /// </summary>
    [Requires("this")]
    [MightSleep]
    public int ReserveFences(int num)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(num);
        _lock.AssertHeld();
        if (_numFences + _reserved + num <= _fences.Length)
        {
            _reserved += num;
            return 0;
        }

        var capacity = Math.Max(4, (_numFences + _reserved + num) * 2);
        var storage = Slab.Kmalloc(capacity * DmaResvFence.SlotBytes, Gfp.Kernel);
        var grown = new DmaResvFence[capacity];
        Array.Copy(_fences, grown, _numFences);
        Slab.Kfree(_storage);
        _storage = storage;
        _fences = grown;
        _reserved += num;
        return 0;
    }

    /// <summary>
    /// <c>dma_resv_fini</c>: frees the fence array. Called once, by the owner's release path, when nobody else can
    /// reach the reservation any more.
    /// </summary>
    public void Fini()
    {
        if (_lock.IsLocked)
        {
            throw new InvalidOperationException($"dma_resv_fini on {Name} while it is locked");
        }

        Slab.Kfree(_storage);
        _storage = null;
        _fences = Array.Empty<DmaResvFence>();
        _numFences = 0;
        _reserved = 0;
        Volatile.Write(ref _published, Array.Empty<DmaResvFence>());
    }

    /// <summary>
    /// <c>dma_resv_add_fence</c>: adds <paramref name="fence"/> in a slot reserved before, or replaces an older fence of
    /// the same timeline and usage (which then needs no slot).
    /// </summary>
    [Requires("this")]
    public void AddFence(DmaFence fence, DmaResvUsage usage)
    {
        _lock.AssertHeld();
        for (var i = 0; i < _numFences; i++)
        {
            var old = _fences[i];
            if (old.Fence.Context == fence.Context && old.Usage == usage && (fence.IsLater(old.Fence) || old.Fence.IsSignaled))
            {
                _fences[i] = new DmaResvFence(fence, usage);
                Publish();
                return;
            }
        }

        if (_reserved == 0)
        {
            throw new InvalidOperationException($"dma_resv_add_fence on {Name} without a reserved slot (call ReserveFences first)");
        }

        _reserved--;
        _fences[_numFences++] = new DmaResvFence(fence, usage);
        Publish();
    }

    /// <summary><c>dma_resv_prune</c>-style cleanup: drops signalled fences from the slots.</summary>
    [Requires("this")]
    public int PruneSignaled()
    {
        _lock.AssertHeld();
        var kept = 0;
        for (var i = 0; i < _numFences; i++)
        {
            if (!_fences[i].Fence.IsSignaled)
            {
                _fences[kept++] = _fences[i];
            }
        }

        var pruned = _numFences - kept;
        Array.Clear(_fences, kept, pruned);
        _numFences = kept;
        if (pruned != 0)
        {
            Publish();
        }

        return pruned;
    }

    /// <summary>The fences of <paramref name="usage"/> or stronger (<c>dma_resv_for_each_fence</c> under the lock).</summary>
    [Requires("this")]
    public DmaFence[] GetFencesLocked(DmaResvUsage usage)
    {
        _lock.AssertHeld();
        return Select(_fences, _numFences, usage);
    }

    /// <summary>Number of fences in the slots.</summary>
    [Requires("this")]
    public int FenceCount
    {
        get
        {
            _lock.AssertHeld();
            return _numFences;
        }
    }

    /// <summary>
    /// <c>dma_resv_get_fences</c> without the lock: a snapshot taken in an RCU read-side section. Never sleeps and
    /// takes no lock, so reclaim and MMU-notifier callbacks may use it.
    /// </summary>
    public DmaFence[] GetFencesUnlocked(DmaResvUsage usage)
    {
        Rcu.ReadLock();
        var snapshot = Volatile.Read(ref _published);
        Rcu.ReadUnlock();
        return Select(snapshot, snapshot.Length, usage);
    }

    /// <summary><c>dma_resv_test_signaled</c>: lock-free.</summary>
    public bool TestSignaled(DmaResvUsage usage)
    {
        foreach (var fence in GetFencesUnlocked(usage))
        {
            if (!fence.IsSignaled)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// <c>dma_resv_wait_timeout</c>: waits, without the reservation lock, for every fence of <paramref name="usage"/> or
    /// stronger. Returns the remaining milliseconds (at least 1), 0 on timeout, -EINTR when interrupted.
    /// </summary>
    [MightSleep]
    [Excludes("this")]
    public long WaitTimeout(DmaResvUsage usage, bool intr, long timeoutMs)
    {
        var remaining = Math.Max(timeoutMs, 1);
        foreach (var fence in GetFencesUnlocked(usage))
        {
            var ret = fence.Wait(intr, remaining);
            if (ret <= 0)
            {
                return ret;
            }

            remaining = ret;
        }

        return remaining;
    }

    public override string ToString() => "dma_resv " + Name;

    private static DmaFence[] Select(DmaResvFence[] slots, int count, DmaResvUsage usage)
    {
        var result = new List<DmaFence>(count);
        for (var i = 0; i < count; i++)
        {
            if (slots[i].Usage <= usage)
            {
                result.Add(slots[i].Fence);
            }
        }

        return result.ToArray();
    }

    /// <summary><c>rcu_assign_pointer(obj->fences, list)</c>: publishes a copy of the used slots for lock-free readers.</summary>
    [Requires("this")]
    private void Publish()
    {
        var copy = new DmaResvFence[_numFences];
        Array.Copy(_fences, copy, _numFences);
        Volatile.Write(ref _published, copy);
    }
}

/// <summary>One fence slot: the fence and how it uses the buffer.</summary>
public readonly record struct DmaResvFence(DmaFence Fence, DmaResvUsage Usage)
{
    /// <summary>The size of one slot in the kernel's array (a tagged fence pointer).</summary>
    public const int SlotBytes = 8;
}

/// <summary>The scope of <see cref="DmaResv.LockScoped"/>: disposing it unlocks the reservation.</summary>
[LockGuard]
public readonly struct DmaResvGuard : IDisposable
{
    private readonly DmaResv? _resv;

    internal DmaResvGuard(DmaResv resv) => _resv = resv;

    /// <summary>The reservation held by this scope.</summary>
    public DmaResv? Resv => _resv;

    public void Dispose() => _resv?.Unlock();
}
