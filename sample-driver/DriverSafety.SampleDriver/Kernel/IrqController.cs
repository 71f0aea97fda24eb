using System.Threading;

namespace DriverSafety.SampleDriver.Kernel;

/// <summary>What an IRQ handler tells the core.</summary>
public enum IrqReturn
{
    /// <summary><c>IRQ_NONE</c>: not this device's interrupt.</summary>
    None,
    /// <summary><c>IRQ_HANDLED</c>.</summary>
    Handled,
    /// <summary><c>IRQ_WAKE_THREAD</c>: run the threaded handler.</summary>
    WakeThread,
}

/// <summary>A hardirq handler (<c>irq_handler_t</c>): runs with IRQs off, in atomic context.</summary>
[AtomicContext(IrqsOff = true)]
public delegate IrqReturn IrqHandler(int irq, object? devId);

/// <summary>The threaded half of an IRQ handler: runs in process context on the IRQ thread and may sleep.</summary>
public delegate IrqReturn IrqThreadHandler(int irq, object? devId);

/// <summary><c>struct irqaction</c>: one handler registered on a line.</summary>
public sealed class IrqAction
{
    internal IrqAction(int irq, IrqHandler? handler, IrqThreadHandler? threadFn, object? devId, string name, byte[] storage)
    {
        Irq = irq;
        Handler = handler;
        ThreadFn = threadFn;
        DevId = devId;
        Name = name;
        Storage = storage;
        if (threadFn is not null)
        {
            ThreadWork = new Work(() => threadFn(irq, devId), "irq/" + irq + "-" + name);
        }
    }

    public int Irq { get; }

    public IrqHandler? Handler { get; }

    public IrqThreadHandler? ThreadFn { get; }

    public object? DevId { get; }

    public string Name { get; }

    internal byte[] Storage { get; }

    internal Work? ThreadWork { get; }
}

/// <summary><c>struct irq_desc</c>: one interrupt line and its actions.</summary>
public sealed class IrqLine
{
    private long _handled;
    private long _unhandled;
    private int _inFlight;

    internal IrqLine(int irq, bool shared)
    {
        Irq = irq;
        Shared = shared;
    }

    public int Irq { get; }

    /// <summary><c>IRQF_SHARED</c>.</summary>
    public bool Shared { get; }

    /// <summary>Interrupts some action handled.</summary>
    public long HandledCount => Interlocked.Read(ref _handled);

    /// <summary>Interrupts nobody handled ("irq N: nobody cared").</summary>
    public long UnhandledCount => Interlocked.Read(ref _unhandled);

    internal List<IrqAction> Actions { get; } = new();

    internal bool InFlight => Volatile.Read(ref _inFlight) != 0;

    internal void Enter() => Interlocked.Increment(ref _inFlight);

    internal void Exit(bool handled)
    {
        Interlocked.Increment(ref handled ? ref _handled : ref _unhandled);
        Interlocked.Decrement(ref _inFlight);
    }
}

/// <summary>
/// The interrupt controller: drivers register handlers with <see cref="RequestIrq"/>; <see cref="Raise"/> simulates the
/// device asserting the line. The handler runs on the raising thread as a hardirq (IRQs off, preempt count raised),
/// or, if that thread has IRQs disabled, as soon as it enables them. Threaded handlers run on an IRQ thread.
/// </summary>
public sealed class IrqController
{
    private readonly SpinLock _descLock = new("IrqController.DescLock");
    private readonly WorkQueue _irqThreads;

    [GuardedBy("_descLock")]
    private readonly Dictionary<int, IrqLine> _lines = new();

    public IrqController(string name)
    {
        Name = name;
        _irqThreads = new WorkQueue("irq-" + name);
    }

    public string Name { get; }

    /// <summary><c>request_irq</c>.</summary>
    [MightSleep]
    public int RequestIrq(int irq, IrqHandler handler, object? devId, bool shared = false, string name = "irq") =>
        RequestThreadedIrq(irq, handler, null, devId, shared, name);

    /// <summary>
    /// <c>request_threaded_irq</c>: <paramref name="handler"/> (or, when null, a default that wakes the thread) runs in
    /// hardirq context; <paramref name="threadFn"/> runs when it returns <see cref="IrqReturn.WakeThread"/>.
    /// Allocates the <c>irqaction</c> with GFP_KERNEL, so it may sleep.
    /// </summary>
    [MightSleep]
    public int RequestThreadedIrq(int irq, IrqHandler? handler, IrqThreadHandler? threadFn, object? devId, bool shared = false, string name = "irq")
    {
        RuntimeCheck.MightSleep("request_threaded_irq");
        if (handler is null && threadFn is null)
        {
            return -Errno.EINVAL;
        }

        if (shared && devId is null)
        {
            return -Errno.EINVAL;
        }

        var storage = Slab.Kzalloc(64, Gfp.Kernel);
        var action = new IrqAction(irq, handler, threadFn, devId, name, storage);
        var ret = 0;
        var flags = _descLock.LockIrqSave();
        if (!_lines.TryGetValue(irq, out var line))
        {
            line = new IrqLine(irq, shared);
            _lines.Add(irq, line);
        }
        else if (line.Actions.Count != 0 && (!line.Shared || !shared))
        {
            ret = -Errno.EBUSY;
        }

        if (ret == 0)
        {
            line.Actions.Add(action);
        }

        _descLock.UnlockIrqRestore(flags);
        if (ret != 0)
        {
            Slab.Kfree(storage);
        }

        return ret;
    }

    /// <summary>
    /// <c>free_irq</c>: removes the action registered with <paramref name="devId"/>, waits for a running handler
    /// (<c>synchronize_irq</c>) and for the IRQ thread. Returns false if there was no such action.
    /// </summary>
    [MightSleep]
    public bool FreeIrq(int irq, object? devId)
    {
        RuntimeCheck.MightSleep("free_irq");
        IrqAction? action = null;
        IrqLine? line;
        var flags = _descLock.LockIrqSave();
        if (_lines.TryGetValue(irq, out line))
        {
            action = line.Actions.FirstOrDefault(a => ReferenceEquals(a.DevId, devId));
            if (action is not null)
            {
                line.Actions.Remove(action);
            }
        }

        _descLock.UnlockIrqRestore(flags);
        if (action is null || line is null)
        {
            RuntimeCheck.Report(RuntimeViolationKind.BadFree, $"Trying to free already-free IRQ {irq}");
            return false;
        }

        while (line.InFlight)
        {
            Sched.Msleep(1);
        }

        if (action.ThreadWork is { } work)
        {
            _irqThreads.CancelWorkSync(work);
        }

        Slab.Kfree(action.Storage);
        return true;
    }

    /// <summary>The line's descriptor, or null if nothing was ever requested on it.</summary>
    public IrqLine? GetLine(int irq)
    {
        var flags = _descLock.LockIrqSave();
        _lines.TryGetValue(irq, out var line);
        _descLock.UnlockIrqRestore(flags);
        return line;
    }

    /// <summary>The device asserts <paramref name="irq"/>: the handlers run on this thread in hardirq context.</summary>
    public void Raise(int irq) => RuntimeCheck.RaiseIrq(() => HandleIrq(irq));

    /// <summary>Waits until every threaded handler woken so far has run.</summary>
    [MightSleep]
    public void SynchronizeThreads() => _irqThreads.Flush();

    /// <summary>Stops the IRQ thread.</summary>
    [MightSleep]
    public void Destroy() => _irqThreads.Destroy();

    /// <summary><c>handle_irq_event</c>: the descriptor lock is dropped around the handlers, as in the kernel.</summary>
    [AtomicContext(IrqsOff = true)]
    private void HandleIrq(int irq)
    {
        _descLock.Lock();
        if (!_lines.TryGetValue(irq, out var line))
        {
            _descLock.Unlock();
            return;
        }

        var actions = line.Actions.ToArray();
        line.Enter();
        _descLock.Unlock();

        var handled = false;
        foreach (var action in actions)
        {
            var ret = action.Handler is null ? IrqReturn.WakeThread : action.Handler(irq, action.DevId);
            if (ret == IrqReturn.WakeThread && action.ThreadWork is { } work)
            {
                _irqThreads.Queue(work);
            }

            handled |= ret != IrqReturn.None;
        }

        line.Exit(handled);
    }
}
