using DriverSafety.SampleDriver.Kernel;
using DriverSafety.SampleDriver.Resv;

namespace DriverSafety.SampleDriver.Vgem;

/// <summary>
/// vgem's fences (vgem_fence.c): a userspace-controlled timeline. <c>VGEM_FENCE_ATTACH</c> adds an unsignalled fence
/// to an object's reservation, <c>VGEM_FENCE_SIGNAL</c> signals it; closing the file signals what is left.
/// </summary>
public sealed class VgemFenceTimeline
{
    private ulong _seqno;

    [GuardedBy("FenceMutex")]
    private readonly Dictionary<int, DmaFence> _fences = new();

    [GuardedBy("FenceMutex")]
    private int _nextId = 1;

    public VgemFenceTimeline(string name)
    {
        Name = name;
        Context = DmaFence.ContextAlloc(1);
    }

    /// <summary>The timeline name.</summary>
    public string Name { get; }

    /// <summary>The fence context of this timeline.</summary>
    public ulong Context { get; }

    /// <summary>The lock every fence of the timeline signals under (<c>fence->lock</c>).</summary>
    public SpinLock Lock { get; } = new("VgemFenceTimeline.Lock");

    /// <summary><c>vfile->fence_mutex</c>: protects the id to fence table.</summary>
    public Mutex FenceMutex { get; } = new("VgemFenceTimeline.FenceMutex");

    /// <summary><c>vgem_fence_create</c>: a new unsignalled fence on this timeline.</summary>
    public DmaFence Create() =>
        new(Lock, Context, System.Threading.Interlocked.Increment(ref _seqno), "vgem", Name);

    /// <summary>Registers <paramref name="fence"/> and returns its id (the ioctl's <c>out_fence</c>).</summary>
    [MightSleep]
    [Excludes("FenceMutex")]
    public int Register(DmaFence fence)
    {
        using var guard = FenceMutex.LockScoped();
        var id = _nextId++;
        _fences.Add(id, fence);
        return id;
    }

    /// <summary><c>vgem_fence_signal_ioctl</c>: signals and forgets fence <paramref name="id"/>.</summary>
    [MightSleep]
    [Excludes("FenceMutex")]
    public int Signal(int id)
    {
        DmaFence? fence;
        using (var guard = FenceMutex.LockScoped())
        {
            if (!_fences.Remove(id, out fence))
            {
                return -Errno.EINVAL;
            }
        }

        fence.Signal();
        return 0;
    }

    /// <summary><c>vgem_fence_close</c>: signals every fence still pending.</summary>
    [MightSleep]
    [Excludes("FenceMutex")]
    public void SignalAll()
    {
        DmaFence[] pending;
        using (var guard = FenceMutex.LockScoped())
        {
            pending = _fences.Values.ToArray();
            _fences.Clear();
        }

        foreach (var fence in pending)
        {
            fence.Signal();
        }
    }
}
