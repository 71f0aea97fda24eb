using System.Threading;

namespace DriverSafety.SampleDriver.Kernel;

/// <summary>
/// <c>struct ww_class</c>: the lock class of a family of wound/wait mutexes (every <c>dma_resv</c> shares one). Acquire
/// contexts of one class are ordered by a stamp: the older context wins a conflict, the younger one backs off.
/// </summary>
public sealed class WwClass
{
    private long _stamp;

    /// <summary>Creates a class; <paramref name="waitDie"/> picks wait-die (<c>DEFINE_WD_CLASS</c>) instead of wound-wait (<c>DEFINE_WW_CLASS</c>).</summary>
    public WwClass(string name, bool waitDie = false)
    {
        Name = name;
        IsWaitDie = waitDie;
    }

    /// <summary>The lockdep class name of every mutex of the class.</summary>
    public string Name { get; }

    /// <summary>Wait-die: a younger context dies (gets <c>-EDEADLK</c>) as soon as it would wait for an older one.
    /// Wound-wait: an older context wounds the younger holder, which backs off at its next acquisition.</summary>
    public bool IsWaitDie { get; }

    /// <summary>Every mutex of the class waits on this monitor, so wounding can wake a waiter blocked on another mutex.</summary>
    internal object Sync { get; } = new();

    internal long NextStamp() => Interlocked.Increment(ref _stamp);

    /// <inheritdoc />
    public override string ToString() => $"ww_class {Name}";
}

/// <summary>
/// <c>struct ww_acquire_ctx</c>: one transaction acquiring several mutexes of one <see cref="WwClass"/>. After
/// <c>-EDEADLK</c> the owner must unlock everything it holds, take the contended lock with
/// <see cref="WwMutex.LockSlow"/>, and retry; the context keeps its stamp, so it ages and eventually wins.
/// </summary>
public sealed class WwAcquireContext
{
    private bool _done;
    private bool _finished;

    /// <summary><c>ww_acquire_init</c>.</summary>
    public WwAcquireContext(WwClass wwClass)
    {
        Class = wwClass;
        Stamp = wwClass.NextStamp();
        OwnerThread = Environment.CurrentManagedThreadId;
    }

    /// <summary>The class all locks of this context belong to.</summary>
    public WwClass Class { get; }

    /// <summary>The age of the context: smaller is older.</summary>
    public long Stamp { get; }

    /// <summary>The thread that runs the transaction.</summary>
    public int OwnerThread { get; }

    /// <summary>Number of mutexes currently held through this context.</summary>
    public int Acquired { get; internal set; }

    /// <summary>Set when an older context wants a lock this one holds (wound-wait).</summary>
    public bool Wounded { get; internal set; }

    /// <summary>Whether <see cref="Done"/> was called.</summary>
    public bool IsDone => _done;

    /// <summary><c>ww_acquire_done</c>: the acquire phase is over; no more locks may be taken with this context.</summary>
    public void Done()
    {
        if (_done)
        {
            RuntimeCheck.Report(RuntimeViolationKind.WwContextMisuse, $"ww_acquire_done called twice on a context of {Class.Name}", Class.Name);
        }

        _done = true;
    }

    /// <summary><c>ww_acquire_fini</c>: every lock of the context must have been released.</summary>
    public void Fini()
    {
        if (Acquired != 0)
        {
            RuntimeCheck.Report(RuntimeViolationKind.WwContextMisuse, $"ww_acquire_fini with {Acquired} lock(s) of {Class.Name} still held", Class.Name);
        }

        if (_finished)
        {
            RuntimeCheck.Report(RuntimeViolationKind.WwContextMisuse, $"ww_acquire_fini called twice on a context of {Class.Name}", Class.Name);
        }

        _finished = true;
    }

    internal bool Validate(WwMutex mutex)
    {
        if (!ReferenceEquals(mutex.Class, Class))
        {
            RuntimeCheck.Report(RuntimeViolationKind.WwContextMisuse, $"ww_mutex {mutex.Name} of class {mutex.Class.Name} locked with a context of class {Class.Name}", mutex.Class.Name);
            return false;
        }

        if (_done || _finished)
        {
            RuntimeCheck.Report(RuntimeViolationKind.WwContextMisuse, $"ww_mutex {mutex.Name} locked with a context after ww_acquire_done/fini", Class.Name);
        }

        if (OwnerThread != Environment.CurrentManagedThreadId)
        {
            RuntimeCheck.Report(RuntimeViolationKind.WwContextMisuse, $"ww acquire context of thread {OwnerThread} used on thread {Environment.CurrentManagedThreadId}", Class.Name);
        }

        return true;
    }
}

/// <summary>
/// <c>struct ww_mutex</c>: a sleeping lock that can be taken in any order together with others of its class under one
/// <see cref="WwAcquireContext"/>; conflicts are resolved by the contexts' age instead of deadlocking.
/// </summary>
[LockType(LockKind.Sleeping)]
public sealed class WwMutex
{
    private bool _locked;
    private int _owner;
    private WwAcquireContext? _ctx;

    /// <summary><c>ww_mutex_init</c>.</summary>
    public WwMutex(WwClass wwClass, string name)
    {
        Class = wwClass;
        Name = name;
    }

    /// <summary>The ww class (the lockdep class of every mutex in it).</summary>
    public WwClass Class { get; }

    /// <summary>A name for reports.</summary>
    public string Name { get; }

    /// <summary><c>ww_mutex_is_locked</c>.</summary>
    public bool IsLocked
    {
        get
        {
            lock (Class.Sync)
            {
                return _locked;
            }
        }
    }

    /// <summary>The context holding the lock, if it was taken with one.</summary>
    public WwAcquireContext? HolderContext
    {
        get
        {
            lock (Class.Sync)
            {
                return _ctx;
            }
        }
    }

    /// <summary>
    /// <c>ww_mutex_lock</c>: 0 with the lock held; <c>-EDEADLK</c> when the caller's context must back off (release
    /// everything, then <see cref="LockSlow"/>); <c>-EALREADY</c> when the context already holds this lock.
    /// Without a context it is a plain mutex lock and always returns 0.
    /// </summary>
    [TryAcquires(0), MightSleep]
    public int Lock([AcquireContext] WwAcquireContext? ctx)
    {
        RuntimeCheck.MightSleep("ww_mutex_lock");
        if (ctx is not null && !ctx.Validate(this))
        {
            return -Errno.EINVAL;
        }

        lock (Class.Sync)
        {
            if (ctx is not null && _locked && ReferenceEquals(_ctx, ctx))
            {
                return -Errno.EALREADY;
            }
        }

        RuntimeCheck.LockAcquire(this, Class.Name, LockKind.Sleeping, shared: false, trylock: false, acquireContext: ctx);
        var ret = Acquire(ctx, slow: false);
        if (ret != 0)
        {
            RuntimeCheck.LockRelease(this);
        }

        return ret;
    }

    /// <summary><c>ww_mutex_lock_interruptible</c>: like <see cref="Lock"/>, or <c>-EINTR</c> when a signal is pending.</summary>
    [TryAcquires(0), MightSleep]
    public int LockInterruptible([AcquireContext] WwAcquireContext? ctx)
    {
        if (Sched.SignalPending && IsLocked)
        {
            return -Errno.EINTR;
        }

        return Lock(ctx);
    }

    /// <summary>
    /// <c>ww_mutex_lock_slow</c>: after backing off (the context holds nothing), sleeps until the contended lock is free.
    /// </summary>
    [Acquires, MightSleep]
    public void LockSlow([AcquireContext] WwAcquireContext ctx)
    {
        RuntimeCheck.MightSleep("ww_mutex_lock_slow");
        ctx.Validate(this);
        if (ctx.Acquired != 0)
        {
            RuntimeCheck.Report(RuntimeViolationKind.WwContextMisuse, $"ww_mutex_lock_slow({Name}) while the context still holds {ctx.Acquired} lock(s)", Class.Name);
        }

        RuntimeCheck.LockAcquire(this, Class.Name, LockKind.Sleeping, shared: false, trylock: false, acquireContext: ctx);
        Acquire(ctx, slow: true);
    }

    /// <summary><c>ww_mutex_trylock</c> without a context: true with the lock held.</summary>
    [TryAcquires(true)]
    public bool TryLock()
    {
        lock (Class.Sync)
        {
            if (_locked)
            {
                return false;
            }

            _locked = true;
            _owner = Environment.CurrentManagedThreadId;
            _ctx = null;
        }

        RuntimeCheck.LockAcquire(this, Class.Name, LockKind.Sleeping, shared: false, trylock: true);
        return true;
    }

    /// <summary><c>ww_mutex_unlock</c>.</summary>
    [Releases]
    public void Unlock()
    {
        lock (Class.Sync)
        {
            if (!_locked || _owner != Environment.CurrentManagedThreadId)
            {
                RuntimeCheck.ReportBadUnlock(Class.Name + " (" + Name + ")", _locked ? _owner : 0);
                return;
            }

            if (_ctx is not null)
            {
                _ctx.Acquired--;
                if (_ctx.Acquired == 0)
                {
                    _ctx.Wounded = false;
                }
            }

            _locked = false;
            _owner = 0;
            _ctx = null;
            Monitor.PulseAll(Class.Sync);
        }

        RuntimeCheck.LockRelease(this);
    }

    /// <summary><c>lockdep_assert_held</c>.</summary>
    [AssertsHeld]
    public void AssertHeld() => RuntimeCheck.AssertHeld(this, Class.Name);

    private int Acquire(WwAcquireContext? ctx, bool slow)
    {
        lock (Class.Sync)
        {
            while (_locked)
            {
                if (ctx is not null && !slow && ctx.Acquired > 0)
                {
                    if (ctx.Wounded)
                    {
                        return -Errno.EDEADLK;
                    }

                    var holder = _ctx;
                    if (holder is not null && holder.Stamp < ctx.Stamp && Class.IsWaitDie)
                    {
                        return -Errno.EDEADLK;
                    }
                }

                if (ctx is not null && !Class.IsWaitDie && _ctx is { } younger && younger.Stamp > ctx.Stamp && younger.Acquired > 0 && !younger.Wounded)
                {
                    younger.Wounded = true;
                    Monitor.PulseAll(Class.Sync);
                }

                Monitor.Wait(Class.Sync);
            }

            _locked = true;
            _owner = Environment.CurrentManagedThreadId;
            _ctx = ctx;
            if (ctx is not null)
            {
                ctx.Acquired++;
            }

            return 0;
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"ww_mutex {Class.Name}:{Name}";
}
