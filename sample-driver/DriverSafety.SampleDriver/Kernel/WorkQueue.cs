using System.Threading;

namespace DriverSafety.SampleDriver.Kernel;

/// <summary>
/// <c>struct work_struct</c>: a callback to run later in process context. A work item is queued at most once at a
/// time (<c>WORK_STRUCT_PENDING</c>); queueing it again while pending does nothing.
/// </summary>
public sealed class Work
{
    private int _pending;

    /// <summary><c>INIT_WORK</c>. The lockdep class of the item is <paramref name="name"/>, or the callback's method.</summary>
    public Work(Action callback, string? name = null)
    {
        Callback = callback;
        Name = name ?? (callback.Method.DeclaringType?.Name + "." + callback.Method.Name);
        LockdepMap = new object();
    }

    /// <summary>The function the worker runs.</summary>
    public Action Callback { get; }

    /// <summary>A name for reports and the lockdep class (<c>"work:" + Name</c>).</summary>
    public string Name { get; }

    /// <summary><c>work_pending</c>.</summary>
    public bool IsPending => Volatile.Read(ref _pending) != 0;

    internal object LockdepMap { get; }

    internal string LockClass => "work:" + Name;

    internal bool TrySetPending() => Interlocked.Exchange(ref _pending, 1) == 0;

    internal void ClearPending() => Volatile.Write(ref _pending, 0);
}

/// <summary>
/// An ordered workqueue (<c>alloc_ordered_workqueue</c>): one real background worker thread runs the queued items one
/// at a time, in queueing order, in process context. <see cref="Flush"/> and <see cref="CancelWorkSync"/> wait with a
/// barrier item, like the kernel's <c>insert_wq_barrier</c>. Like lockdep, flushing records the order "locks held by
/// the flusher → the workqueue", and running an item records "the workqueue → the locks the item takes", so flushing
/// under a lock that a work item takes is reported as a lock-order inversion. After each item the worker checks that
/// it returned every lock and depth ("BUG: workqueue leaked lock or atomic").
/// </summary>
public sealed class WorkQueue
{
    private static readonly Lazy<WorkQueue> s_system = new(() => new WorkQueue("events"));

    private readonly SpinLock _poolLock;
    private readonly SemaphoreSlim _kick = new(0);
    private readonly Thread _worker;
    private readonly object _lockdepMap = new();

    [GuardedBy("_poolLock")]
    private readonly LinkedList<Work> _pending = new();

    [GuardedBy("_poolLock")]
    private Work? _current;

    [GuardedBy("_poolLock")]
    private bool _dying;

    /// <summary><c>alloc_ordered_workqueue(name)</c>: starts the worker thread.</summary>
    public WorkQueue(string name)
    {
        Name = name;
        _poolLock = new SpinLock("WorkQueue.PoolLock");
        _worker = new Thread(WorkerLoop) { IsBackground = true, Name = "kworker/" + name };
        _worker.Start();
    }

    /// <summary><c>system_wq</c>, used by <c>schedule_work</c>.</summary>
    public static WorkQueue System => s_system.Value;

    /// <summary>The workqueue's name and lockdep class (<c>"wq:" + Name</c>).</summary>
    public string Name { get; }

    /// <summary>Whether the calling thread is this queue's worker.</summary>
    public bool IsWorkerThread => Thread.CurrentThread == _worker;

    private string LockClass => "wq:" + Name;

    /// <summary><c>queue_work</c>: false if the item was already pending. Callable from any context.</summary>
    public bool Queue(Work work) => Insert(work, atHead: false);

    /// <summary><c>flush_workqueue</c>: waits until every item queued before the call has run.</summary>
    [MightSleep]
    public void Flush()
    {
        RuntimeCheck.MightSleep("flush_workqueue");
        if (IsWorkerThread)
        {
            RuntimeCheck.Report(RuntimeViolationKind.RecursiveLocking, $"flush_workqueue({Name}) from one of its own work items would wait for itself", LockClass);
            return;
        }

        RuntimeCheck.LockAcquire(_lockdepMap, LockClass, LockKind.Sleeping, shared: false, trylock: false);
        RuntimeCheck.LockRelease(_lockdepMap);
        var barrier = new Completion();
        if (Insert(new Work(barrier.Complete, "barrier:" + Name), atHead: false))
        {
            barrier.Wait();
        }
    }

    /// <summary>
    /// <c>cancel_work_sync</c>: removes the item if pending and waits for it if it is running; true if it was pending.
    /// </summary>
    [MightSleep]
    public bool CancelWorkSync(Work work)
    {
        RuntimeCheck.MightSleep("cancel_work_sync");
        RuntimeCheck.LockAcquire(work.LockdepMap, work.LockClass, LockKind.Sleeping, shared: false, trylock: false);
        RuntimeCheck.LockRelease(work.LockdepMap);

        var flags = _poolLock.LockIrqSave();
        var wasPending = _pending.Remove(work);
        if (wasPending)
        {
            work.ClearPending();
        }

        var running = ReferenceEquals(_current, work);
        _poolLock.UnlockIrqRestore(flags);

        if (running && !IsWorkerThread)
        {
            var barrier = new Completion();
            if (Insert(new Work(barrier.Complete, "barrier:" + Name), atHead: true))
            {
                barrier.Wait();
            }
        }

        return wasPending;
    }

    /// <summary><c>destroy_workqueue</c>: drains the queue and stops the worker.</summary>
    [MightSleep]
    public void Destroy()
    {
        Flush();
        var flags = _poolLock.LockIrqSave();
        _dying = true;
        _poolLock.UnlockIrqRestore(flags);
        _kick.Release();
        _worker.Join(TimeSpan.FromSeconds(10));
    }

    private bool Insert(Work work, bool atHead)
    {
        var flags = _poolLock.LockIrqSave();
        if (_dying)
        {
            _poolLock.UnlockIrqRestore(flags);
            RuntimeCheck.Report(RuntimeViolationKind.WorkFailed, $"queue_work({work.Name}) on workqueue {Name} that is being destroyed");
            return false;
        }

        if (!work.TrySetPending())
        {
            _poolLock.UnlockIrqRestore(flags);
            return false;
        }

        if (atHead)
        {
            _pending.AddFirst(work);
        }
        else
        {
            _pending.AddLast(work);
        }

        _poolLock.UnlockIrqRestore(flags);
        _kick.Release();
        return true;
    }

    private void WorkerLoop()
    {
        while (true)
        {
            _kick.Wait();
            var flags = _poolLock.LockIrqSave();
            var work = _pending.First?.Value;
            if (work is not null)
            {
                _pending.RemoveFirst();
                work.ClearPending();
                _current = work;
            }

            var stop = _dying && work is null;
            _poolLock.UnlockIrqRestore(flags);
            if (stop)
            {
                return;
            }

            if (work is null)
            {
                continue;
            }

            Run(work);

            flags = _poolLock.LockIrqSave();
            _current = null;
            _poolLock.UnlockIrqRestore(flags);
        }
    }

    private void Run(Work work)
    {
        var entry = RuntimeCheck.Snapshot();
        RuntimeCheck.LockAcquire(_lockdepMap, LockClass, LockKind.Sleeping, shared: false, trylock: false);
        RuntimeCheck.LockAcquire(work.LockdepMap, work.LockClass, LockKind.Sleeping, shared: false, trylock: false);
        try
        {
            work.Callback();
        }
        catch (Exception ex)
        {
            RuntimeCheck.Report(RuntimeViolationKind.WorkFailed, $"work {work.Name} on {Name} threw {ex.GetType().Name}: {ex.Message}");
        }
        finally
        {
            RuntimeCheck.LockRelease(work.LockdepMap);
            RuntimeCheck.LockRelease(_lockdepMap);
            RuntimeCheck.CheckRestored(entry, $"workqueue {Name} work {work.Name}");
        }
    }
}
