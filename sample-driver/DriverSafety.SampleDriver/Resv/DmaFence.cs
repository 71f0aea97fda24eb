using System.Diagnostics;
using Interlocked = System.Threading.Interlocked;
using Volatile = System.Threading.Volatile;
using DriverSafety.SampleDriver.Kernel;

namespace DriverSafety.SampleDriver.Resv;

/// <summary>
/// <c>dma_fence_func_t</c>: called when the fence signals, with the fence's spinlock held and IRQs off.
/// </summary>
[AtomicContext]
public delegate void DmaFenceFunc(DmaFence fence, DmaFenceCallback callback);

/// <summary><c>struct dma_fence_cb</c>: one callback registered on a fence.</summary>
public sealed class DmaFenceCallback
{
    public DmaFenceCallback(DmaFenceFunc func) => Func = func;

    /// <summary>The function run when the fence signals.</summary>
    public DmaFenceFunc Func { get; }

    /// <summary>The fence the callback is queued on, or null once it ran or was removed.</summary>
    internal DmaFence? QueuedOn { get; set; }
}

/// <summary>
/// <c>struct dma_fence</c>: a one-shot completion of a GPU (or any asynchronous) job. Signalling takes the fence's
/// spinlock with IRQs off and runs the callbacks there; <see cref="IsSignaled"/> is a lock-free test of the flag bit.
/// </summary>
public sealed class DmaFence
{
    private static long s_nextContext;

    [GuardedBy("Lock")]
    private readonly List<DmaFenceCallback> _callbacks = new();

    private int _signaled;
    private int _error;
    private long _timestampTicks;

    /// <summary><c>dma_fence_init</c>. <paramref name="timelineLock"/> is shared by every fence of one timeline.</summary>
    public DmaFence(SpinLock timelineLock, ulong context, ulong seqno, string driverName, string timelineName)
    {
        Lock = timelineLock;
        Context = context;
        Seqno = seqno;
        DriverName = driverName;
        TimelineName = timelineName;
    }

    /// <summary><c>fence->lock</c>: protects the callback list and the signal transition.</summary>
    public SpinLock Lock { get; }

    /// <summary>The execution context (timeline) this fence belongs to.</summary>
    public ulong Context { get; }

    /// <summary>The position of the fence on its timeline.</summary>
    public ulong Seqno { get; }

    /// <summary><c>ops->get_driver_name</c>.</summary>
    public string DriverName { get; }

    /// <summary><c>ops->get_timeline_name</c>.</summary>
    public string TimelineName { get; }

    /// <summary><c>dma_fence_is_signaled</c>: a lock-free test of <c>DMA_FENCE_FLAG_SIGNALED_BIT</c>.</summary>
    public bool IsSignaled => Volatile.Read(ref _signaled) != 0;

    /// <summary><c>fence->error</c>: 0, or the negative errno the job failed with.</summary>
    public int Error => Volatile.Read(ref _error);

    /// <summary>When the fence signalled (<see cref="Stopwatch"/> ticks), or 0.</summary>
    public long Timestamp => Volatile.Read(ref _timestampTicks);

    /// <summary><c>dma_fence_context_alloc</c>: reserves <paramref name="num"/> new timeline contexts.</summary>
    public static ulong ContextAlloc(int num)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(num);
        return (ulong)Interlocked.Add(ref s_nextContext, num) - (ulong)num + 1;
    }

    /// <summary><c>dma_fence_is_later</c>: both fences on one timeline, this one after <paramref name="other"/>.</summary>
    public bool IsLater(DmaFence other) => Context == other.Context && Seqno > other.Seqno;

    /// <summary><c>dma_fence_set_error</c>: records why the job failed; only before the fence signals.</summary>
    public void SetError(int error)
    {
        if (IsSignaled || error >= 0)
        {
            throw new InvalidOperationException("dma_fence_set_error needs a negative errno on an unsignalled fence");
        }

        Volatile.Write(ref _error, error);
    }

    /// <summary>
    /// <c>dma_fence_signal_locked</c>: marks the fence signalled and runs its callbacks. Returns -EINVAL when it
    /// already was signalled.
    /// </summary>
    [Requires("Lock")]
    public int SignalLocked()
    {
        Lock.AssertHeld();
        if (Interlocked.Exchange(ref _signaled, 1) != 0)
        {
            return -Errno.EINVAL;
        }

        Volatile.Write(ref _timestampTicks, Stopwatch.GetTimestamp());
        var callbacks = _callbacks.ToArray();
        _callbacks.Clear();
        foreach (var cb in callbacks)
        {
            cb.QueuedOn = null;
            cb.Func(this, cb);
        }

        return 0;
    }

    /// <summary><c>dma_fence_signal</c>: safe from any context, IRQ handlers included.</summary>
    [Excludes("Lock")]
    public int Signal()
    {
        var flags = Lock.LockIrqSave();
        var ret = SignalLocked();
        Lock.UnlockIrqRestore(flags);
        return ret;
    }

    /// <summary>
    /// <c>dma_fence_add_callback</c>: queues <paramref name="callback"/> to run when the fence signals. Returns false
    /// (the kernel's -ENOENT) when the fence already signalled; the callback is then not queued and never runs.
    /// </summary>
    [Excludes("Lock")]
    public bool AddCallback(DmaFenceCallback callback)
    {
        if (IsSignaled)
        {
            return false;
        }

        var flags = Lock.LockIrqSave();
        bool added;
        if (IsSignaled)
        {
            added = false;
        }
        else
        {
            callback.QueuedOn = this;
            _callbacks.Add(callback);
            added = true;
        }

        Lock.UnlockIrqRestore(flags);
        return added;
    }

    /// <summary><c>dma_fence_remove_callback</c>: true when the callback was still queued (it will not run).</summary>
    [Excludes("Lock")]
    public bool RemoveCallback(DmaFenceCallback callback)
    {
        var flags = Lock.LockIrqSave();
        var removed = _callbacks.Remove(callback);
        if (removed)
        {
            callback.QueuedOn = null;
        }

        Lock.UnlockIrqRestore(flags);
        return removed;
    }

    /// <summary>
    /// <c>dma_fence_wait_timeout</c>: sleeps until the fence signals. Returns the remaining time in milliseconds (at
    /// least 1) when it signalled, 0 on timeout, -EINTR when interrupted (only with <paramref name="intr"/>).
    /// </summary>
    [MightSleep]
    [Excludes("Lock")]
    public long Wait(bool intr, long timeoutMs)
    {
        Sched.MightSleep();
        if (IsSignaled)
        {
            return Math.Max(timeoutMs, 1);
        }

        if (timeoutMs <= 0)
        {
            return 0;
        }

        var done = new Completion();
        var waiter = new DmaFenceCallback((_, _) => done.Complete());
        if (!AddCallback(waiter))
        {
            return Math.Max(timeoutMs, 1);
        }

        var start = Stopwatch.GetTimestamp();
        var remaining = timeoutMs;
        while (true)
        {
            var slice = (int)Math.Min(remaining, 10);
            if (done.WaitTimeout(slice))
            {
                return Math.Max(timeoutMs - (long)Stopwatch.GetElapsedTime(start).TotalMilliseconds, 1);
            }

            if (intr && Sched.SignalPending)
            {
                RemoveCallback(waiter);
                return -Errno.EINTR;
            }

            remaining = timeoutMs - (long)Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (remaining <= 0)
            {
                // The callback may have run between the last wait and the removal: then the fence did signal.
                return RemoveCallback(waiter) ? 0 : 1;
            }
        }
    }

    public override string ToString() => $"fence {DriverName}:{TimelineName} {Context}#{Seqno}" + (IsSignaled ? " signalled" : string.Empty);
}
