using System.Threading;

namespace DriverSafety.SampleDriver.Kernel;

/// <summary>
/// <c>struct mutex</c>: a sleeping lock with a single owner. Only the owner may unlock it; acquiring it may sleep, so it
/// must not be taken in atomic context. Every acquisition goes through lockdep (<see cref="RuntimeCheck"/>).
/// </summary>
[LockType(LockKind.Sleeping)]
public sealed class Mutex
{
    private readonly SemaphoreSlim _sem = new(1, 1);
    private int _owner;

    /// <summary>Creates a mutex of the named lock class (lockdep's key: the declaration it lives in).</summary>
    public Mutex(string lockClass) => LockClass = lockClass;

    /// <summary>The lockdep class.</summary>
    public string LockClass { get; }

    /// <summary><c>mutex_is_locked</c>.</summary>
    public bool IsLocked => Volatile.Read(ref _owner) != 0;

    /// <summary>Whether the calling thread owns the mutex.</summary>
    public bool IsOwnedByCurrent => Volatile.Read(ref _owner) == Environment.CurrentManagedThreadId;

    /// <summary><c>mutex_lock</c>.</summary>
    [Acquires, MightSleep]
    public void Lock() => LockNested(0);

    /// <summary><c>mutex_lock_nested</c>: a lock of the same class taken inside another one, with a distinct lockdep subclass.</summary>
    [Acquires, MightSleep]
    public void LockNested(int subclass)
    {
        RuntimeCheck.MightSleep("mutex_lock");
        RuntimeCheck.LockAcquire(this, LockClass, LockKind.Sleeping, shared: false, trylock: false, subclass: subclass);
        _sem.Wait();
        Volatile.Write(ref _owner, Environment.CurrentManagedThreadId);
    }

    /// <summary><c>mutex_lock_interruptible</c>: 0 with the lock held, or <c>-EINTR</c> when a signal is pending.</summary>
    [TryAcquires(0), MightSleep]
    public int LockInterruptible()
    {
        RuntimeCheck.MightSleep("mutex_lock_interruptible");
        RuntimeCheck.LockAcquire(this, LockClass, LockKind.Sleeping, shared: false, trylock: false);
        while (!_sem.Wait(5))
        {
            if (Sched.SignalPending)
            {
                RuntimeCheck.LockRelease(this);
                return -Errno.EINTR;
            }
        }

        Volatile.Write(ref _owner, Environment.CurrentManagedThreadId);
        return 0;
    }

    /// <summary><c>mutex_trylock</c>: true with the lock held.</summary>
    [TryAcquires(true)]
    public bool TryLock()
    {
        if (!_sem.Wait(0))
        {
            return false;
        }

        Volatile.Write(ref _owner, Environment.CurrentManagedThreadId);
        RuntimeCheck.LockAcquire(this, LockClass, LockKind.Sleeping, shared: false, trylock: true);
        return true;
    }

    /// <summary><c>mutex_unlock</c>. Unlocking a mutex the caller does not own is reported and ignored.</summary>
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
        _sem.Release();
    }

    /// <summary><c>guard(mutex)(&amp;m)</c>: the lock is held until the guard is disposed.</summary>
    [Acquires, MightSleep]
    public MutexGuard LockScoped()
    {
        Lock();
        return new MutexGuard(this);
    }

    /// <summary><c>lockdep_assert_held</c>.</summary>
    [AssertsHeld]
    public void AssertHeld() => RuntimeCheck.AssertHeld(this, LockClass);

    /// <inheritdoc />
    public override string ToString() => $"mutex {LockClass}";
}

/// <summary>The guard <see cref="Mutex.LockScoped"/> returns: disposing it unlocks the mutex.</summary>
[LockGuard]
public readonly struct MutexGuard : IDisposable
{
    private readonly Mutex? _mutex;

    internal MutexGuard(Mutex mutex) => _mutex = mutex;

    /// <summary>The guarded mutex.</summary>
    public Mutex? Mutex => _mutex;

    /// <summary>Unlocks the mutex.</summary>
    public void Dispose() => _mutex?.Unlock();
}
