using System.Threading;

namespace DriverSafety.SampleDriver.Kernel;

/// <summary>
/// <c>spinlock_t</c>: a busy-waiting lock. Holding it is atomic context (the preempt count is raised), so nothing that
/// may sleep can run under it. <see cref="LockIrqSave"/> also disables IRQs, which a lock shared with an IRQ handler needs.
/// </summary>
[LockType(LockKind.Spinning)]
public sealed class SpinLock
{
    private int _owner;

    /// <summary>Creates a spinlock of the named lock class.</summary>
    public SpinLock(string lockClass) => LockClass = lockClass;

    /// <summary>The lockdep class.</summary>
    public string LockClass { get; }

    /// <summary><c>spin_is_locked</c>.</summary>
    public bool IsLocked => Volatile.Read(ref _owner) != 0;

    /// <summary><c>spin_lock</c>.</summary>
    [Acquires]
    public void Lock()
    {
        RuntimeCheck.PreemptDisable();
        try
        {
            RuntimeCheck.LockAcquire(this, LockClass, LockKind.Spinning, shared: false, trylock: false);
        }
        catch (RuntimeCheckException)
        {
            RuntimeCheck.PreemptEnable("spin_lock");
            throw;
        }

        var me = Environment.CurrentManagedThreadId;
        var spin = default(SpinWait);
        while (Interlocked.CompareExchange(ref _owner, me, 0) != 0)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    /// <summary><c>spin_unlock</c>.</summary>
    [Releases]
    public void Unlock()
    {
        var owner = Volatile.Read(ref _owner);
        if (owner != Environment.CurrentManagedThreadId)
        {
            RuntimeCheck.ReportBadUnlock(LockClass, owner);
            return;
        }

        RuntimeCheck.LockRelease(this);
        Volatile.Write(ref _owner, 0);
        RuntimeCheck.PreemptEnable("spin_unlock");
    }

    /// <summary><c>spin_lock_irqsave</c>: disables IRQs on this CPU, then takes the lock; returns the saved flags.</summary>
    [Acquires(DisablesIrqs = true)]
    public ulong LockIrqSave()
    {
        var flags = RuntimeCheck.IrqsDisabled ? 1UL : 0UL;
        RuntimeCheck.IrqDisable();
        Lock();
        return flags;
    }

    /// <summary><c>spin_unlock_irqrestore</c>.</summary>
    [Releases]
    public void UnlockIrqRestore(ulong flags)
    {
        Unlock();
        RuntimeCheck.IrqEnable("spin_unlock_irqrestore");
        if ((flags != 0) != RuntimeCheck.IrqsDisabled)
        {
            RuntimeCheck.Report(RuntimeViolationKind.UnbalancedContext, $"spin_unlock_irqrestore({LockClass}): restored IRQ state does not match the saved flags", LockClass);
        }
    }

    /// <summary><c>spin_trylock</c>: true with the lock held.</summary>
    [TryAcquires(true)]
    public bool TryLock()
    {
        RuntimeCheck.PreemptDisable();
        if (Interlocked.CompareExchange(ref _owner, Environment.CurrentManagedThreadId, 0) != 0)
        {
            RuntimeCheck.PreemptEnable("spin_trylock");
            return false;
        }

        RuntimeCheck.LockAcquire(this, LockClass, LockKind.Spinning, shared: false, trylock: true);
        return true;
    }

    /// <summary><c>lockdep_assert_held</c>.</summary>
    [AssertsHeld]
    public void AssertHeld() => RuntimeCheck.AssertHeld(this, LockClass);

    /// <inheritdoc />
    public override string ToString() => $"spinlock {LockClass}";
}
