using System.Collections.Concurrent;
using Interlocked = System.Threading.Interlocked;
using Volatile = System.Threading.Volatile;
using DriverSafety.SampleDriver.Dma;
using DriverSafety.SampleDriver.Kernel;

namespace DriverSafety.SampleDriver.Gem;

/// <summary>
/// <c>struct drm_device</c>, the GEM half: the DMA device the objects are mapped for, the lock that serialises PRIME
/// bookkeeping, the purgeable LRU and the deferred free list.
/// </summary>
public class GemDevice
{
    private readonly Work _freeWork;
    private readonly ConcurrentQueue<string> _warnings = new();
    private GemObject? _freeList;
    private int _objectCount;

    public GemDevice(string name, Device dmaDev)
    {
        Name = name;
        DmaDev = dmaDev;
        Lru = new GemLru(name);
        FreeQueue = new WorkQueue("gem-free-" + name);
        _freeWork = new Work(FreeWorker, "GemDevice.FreeWorker");
    }

    /// <summary>The device name.</summary>
    public string Name { get; }

    /// <summary>The device the DMA API maps this device's objects for (<c>dev->dev</c>).</summary>
    public Device DmaDev { get; }

    /// <summary>
    /// <c>dev->object_name_lock</c>: protects each object's <see cref="GemObject.ExportedDmaBuf"/> and handle count.
    /// Taken before any reservation (export attaches, which locks the reservation).
    /// </summary>
    [AcquiredBefore("GemObject.Resv")]
    public Mutex ObjectNameLock { get; } = new("GemDevice.ObjectNameLock");

    /// <summary>The purgeable objects, scanned by the shrinker.</summary>
    public GemLru Lru { get; }

    /// <summary>The workqueue that frees objects whose last reference was dropped where freeing is not allowed.</summary>
    public WorkQueue FreeQueue { get; }

    /// <summary>Live objects of this device.</summary>
    public int ObjectCount => Volatile.Read(ref _objectCount);

    /// <summary>Driver warnings (<c>drm_WARN_ON</c>) recorded so far.</summary>
    public IReadOnlyCollection<string> Warnings => _warnings.ToArray();

    /// <summary><c>drm_WARN</c>: records a broken driver invariant.</summary>
    public void Warn(string message) => _warnings.Enqueue(message);

    /// <summary>Waits until every deferred free has run.</summary>
    [MightSleep]
    public void FlushFrees()
    {
        FreeQueue.Flush();
    }

    /// <summary>Stops the free worker; every object must be gone by now.</summary>
    [MightSleep]
    public virtual void Teardown()
    {
        FreeQueue.Flush();
        FreeQueue.Destroy();
        if (ObjectCount != 0)
        {
            Warn($"device {Name} torn down with {ObjectCount} live objects");
        }
    }

    /// <summary>The driver's hook when an object is freed, before its backing goes (<c>funcs->free</c> prologue).</summary>
    protected internal virtual void OnObjectFree(GemObject obj)
    {
    }

    internal void ObjectCreated() => Interlocked.Increment(ref _objectCount);

    internal void ObjectFreed() => Interlocked.Decrement(ref _objectCount);

    /// <summary><c>llist_add</c> + <c>queue_work</c>: lock-free and non-sleeping, so reclaim may drop a last reference.</summary>
    internal void QueueFree(GemObject obj)
    {
        while (true)
        {
            var head = Volatile.Read(ref _freeList);
            obj.FreeNext = head;
            if (Interlocked.CompareExchange(ref _freeList, obj, head) == head)
            {
                break;
            }
        }

        FreeQueue.Queue(_freeWork);
    }

    [MightSleep]
    private void FreeWorker()
    {
        var list = Interlocked.Exchange(ref _freeList, null);
        while (list is not null)
        {
            var next = list.FreeNext;
            list.FreeNext = null;
            list.Free();
            list = next;
        }
    }
}

/// <summary>
/// <c>struct drm_gem_lru</c>: the objects the shrinker may purge. Its lock is taken (blocking) from the shrinker, so
/// it is a reclaim lock: nothing allocates while holding it, and it nests inside the reservation lock, never around
/// a blocking reservation lock (the shrinker drops it before try-locking an object).
/// </summary>
public sealed class GemLru
{
    [GuardedBy("Lock")]
    private readonly LinkedList<GemObject> _list = new();

    [GuardedBy("Lock")]
    private long _pages;

    internal GemLru(string name)
    {
        Name = name;
    }

    /// <summary>The LRU's name.</summary>
    public string Name { get; }

    /// <summary><c>lru->lock</c>.</summary>
    [AcquiredAfter("GemObject.Resv")]
    public Mutex Lock { get; } = new("GemLru.Lock");

    /// <summary>Pages on the LRU (<c>lru->count</c>), for the shrinker's count callback.</summary>
    [MightSleep]
    [Excludes("Lock")]
    public long CountPages()
    {
        using var guard = Lock.LockScoped();
        return _pages;
    }

    /// <summary>Objects on the LRU.</summary>
    [MightSleep]
    [Excludes("Lock")]
    public int CountObjects()
    {
        using var guard = Lock.LockScoped();
        return _list.Count;
    }

    /// <summary><c>drm_gem_lru_move_tail</c>: (re)queues the object as the most recently used.</summary>
    [Requires("obj.Resv")]
    [Excludes("Lock")]
    [MightSleep]
    public void MoveTail(GemObject obj)
    {
        Lock.Lock();
        MoveTailLocked(obj);
        Lock.Unlock();
    }

    /// <summary><c>drm_gem_lru_remove</c>.</summary>
    [Requires("obj.Resv")]
    [Excludes("Lock")]
    [MightSleep]
    public void Remove(GemObject obj)
    {
        Lock.Lock();
        RemoveLocked(obj);
        Lock.Unlock();
    }

    /// <summary>
    /// <c>drm_gem_lru_scan</c>: walks the LRU from the least recently used object and calls <paramref name="shrink"/>
    /// on each object whose reservation it can try-lock, until <paramref name="nrToScan"/> pages were freed. Scanned
    /// objects wait on a local list (still protected by the LRU lock) so that a concurrent move or removal finds them;
    /// the LRU lock is dropped around each object, and only a reference that cannot free the object is dropped here:
    /// a last reference goes to the free worker.
    /// </summary>
    [ReclaimContext]
    [MightSleep]
    [Excludes("Lock")]
    public long Scan(long nrToScan, GemShrinkFunc shrink, out long remaining)
    {
        remaining = 0;
        long freed = 0;
        var stillInLru = new LinkedList<GemObject>();
        Lock.Lock();
        while (freed < nrToScan && _list.First is { } node)
        {
            var obj = node.Value;
            _list.Remove(node);
            _pages -= obj.NumPages;
            stillInLru.AddLast(node);
            if (!obj.TryGet())
            {
                continue;
            }

            Lock.Unlock();
            if (obj.Resv.TryLock())
            {
                if (shrink(obj))
                {
                    freed += obj.NumPages;
                }

                obj.Resv.Unlock();
            }
            else
            {
                remaining += obj.NumPages;
            }

            obj.PutDeferred();
            Lock.Lock();
        }

        while (stillInLru.First is { } kept)
        {
            stillInLru.Remove(kept);
            _list.AddLast(kept);
            _pages += kept.Value.NumPages;
        }

        Lock.Unlock();
        return freed;
    }

    [Requires("Lock")]
    private void MoveTailLocked(GemObject obj)
    {
        RemoveLocked(obj);
        _list.AddLast(obj.LruNode);
        _pages += obj.NumPages;
    }

    [Requires("Lock")]
    private void RemoveLocked(GemObject obj)
    {
        var node = obj.LruNode;
        if (node.List is { } list)
        {
            list.Remove(node);
            if (ReferenceEquals(list, _list))
            {
                _pages -= obj.NumPages;
            }
        }
    }
}

/// <summary>
/// The shrink callback of <see cref="GemLru.Scan"/>: called with the object's reservation try-locked (the contract says
/// so: every call of it must hold the lock, and every callback runs under it); returns true when the object's pages were freed.
/// </summary>
[Requires("obj.Resv")]
public delegate bool GemShrinkFunc(GemObject obj);
