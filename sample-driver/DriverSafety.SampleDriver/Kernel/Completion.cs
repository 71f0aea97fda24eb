using System.Threading;

namespace DriverSafety.SampleDriver.Kernel;

/// <summary>
/// <c>struct completion</c>: waiters sleep until someone completes it. <see cref="Complete"/> never sleeps and may be
/// called from an IRQ handler; the counter is protected by an IRQ-safe spinlock as in the kernel (<c>x->wait.lock</c>).
/// </summary>
public sealed class Completion
{
    private const uint AllDone = uint.MaxValue;
    private readonly SpinLock _waitLock = new("Completion.WaitLock");
    private readonly SemaphoreSlim _wake = new(0);

    [GuardedBy("_waitLock")]
    private uint _done;

    [GuardedBy("_waitLock")]
    private int _waiters;

    /// <summary><c>completion_done</c>: whether a wait would return at once.</summary>
    public bool IsDone
    {
        get
        {
            var flags = _waitLock.LockIrqSave();
            var done = _done != 0;
            _waitLock.UnlockIrqRestore(flags);
            return done;
        }
    }

    /// <summary><c>wait_for_completion</c>.</summary>
    [MightSleep]
    public void Wait()
    {
        RuntimeCheck.MightSleep("wait_for_completion");
        WaitCore(Timeout.Infinite);
    }

    /// <summary><c>wait_for_completion_timeout</c>: false if <paramref name="ms"/> passed first.</summary>
    [MightSleep]
    public bool WaitTimeout(int ms)
    {
        RuntimeCheck.MightSleep("wait_for_completion_timeout");
        return WaitCore(ms);
    }

    /// <summary><c>try_wait_for_completion</c>: consumes a completion without sleeping, if there is one.</summary>
    public bool TryWait()
    {
        var flags = _waitLock.LockIrqSave();
        var done = TakeLocked();
        _waitLock.UnlockIrqRestore(flags);
        return done;
    }

    /// <summary><c>complete</c>: wakes one waiter (or lets the next wait return at once).</summary>
    public void Complete()
    {
        var flags = _waitLock.LockIrqSave();
        if (_done != AllDone)
        {
            _done++;
        }

        var wake = _waiters > 0;
        _waitLock.UnlockIrqRestore(flags);
        if (wake)
        {
            _wake.Release();
        }
    }

    /// <summary><c>complete_all</c>: every present and future waiter returns at once, until <see cref="Reinit"/>.</summary>
    public void CompleteAll()
    {
        var flags = _waitLock.LockIrqSave();
        _done = AllDone;
        var waiters = _waiters;
        _waitLock.UnlockIrqRestore(flags);
        if (waiters > 0)
        {
            _wake.Release(waiters);
        }
    }

    /// <summary><c>reinit_completion</c>.</summary>
    public void Reinit()
    {
        var flags = _waitLock.LockIrqSave();
        _done = 0;
        _waitLock.UnlockIrqRestore(flags);
    }

    [Requires("_waitLock")]
    private bool TakeLocked()
    {
        if (_done == 0)
        {
            return false;
        }

        if (_done != AllDone)
        {
            _done--;
        }

        return true;
    }

    [MightSleep]
    private bool WaitCore(int ms)
    {
        var deadline = ms == Timeout.Infinite ? long.MaxValue : Environment.TickCount64 + ms;
        while (true)
        {
            var flags = _waitLock.LockIrqSave();
            if (TakeLocked())
            {
                _waitLock.UnlockIrqRestore(flags);
                return true;
            }

            _waiters++;
            _waitLock.UnlockIrqRestore(flags);

            var remaining = deadline == long.MaxValue ? Timeout.Infinite : (int)Math.Max(0, deadline - Environment.TickCount64);
            _wake.Wait(remaining);

            flags = _waitLock.LockIrqSave();
            _waiters--;
            var done = TakeLocked();
            _waitLock.UnlockIrqRestore(flags);
            if (done)
            {
                return true;
            }

            if (deadline != long.MaxValue && Environment.TickCount64 >= deadline)
            {
                return false;
            }
        }
    }
}
