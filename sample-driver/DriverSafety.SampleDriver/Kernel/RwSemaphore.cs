using System.Threading;

namespace DriverSafety.SampleDriver.Kernel;

/// <summary>
/// <c>struct rw_semaphore</c>: a sleeping reader/writer lock (<c>mmap_lock</c>, <c>shrinker_rwsem</c>). Writers are
/// preferred once waiting, so a reader that takes it twice can deadlock behind a writer: lockdep reports that as recursion.
/// </summary>
[LockType(LockKind.Sleeping)]
public sealed class RwSemaphore
{
    private readonly object _sync = new();
    private readonly List<int> _readers = new();
    private int _writer;
    private int _waitingWriters;

    /// <summary>Creates a semaphore of the named lock class.</summary>
    public RwSemaphore(string lockClass) => LockClass = lockClass;

    /// <summary>The lockdep class.</summary>
    public string LockClass { get; }

    /// <summary><c>rwsem_is_locked</c>.</summary>
    public bool IsLocked
    {
        get
        {
            lock (_sync)
            {
                return _writer != 0 || _readers.Count != 0;
            }
        }
    }

    /// <summary><c>down_read</c>.</summary>
    [Acquires(Shared = true), MightSleep]
    public void DownRead()
    {
        RuntimeCheck.MightSleep("down_read");
        RuntimeCheck.LockAcquire(this, LockClass, LockKind.Sleeping, shared: true, trylock: false);
        var me = Environment.CurrentManagedThreadId;
        lock (_sync)
        {
            while (_writer != 0 || _waitingWriters != 0)
            {
                Monitor.Wait(_sync);
            }

            _readers.Add(me);
        }
    }

    /// <summary><c>down_read_trylock</c>: true with the lock held shared.</summary>
    [TryAcquires(true, Shared = true)]
    public bool DownReadTrylock()
    {
        var me = Environment.CurrentManagedThreadId;
        lock (_sync)
        {
            if (_writer != 0 || _waitingWriters != 0)
            {
                return false;
            }

            _readers.Add(me);
        }

        RuntimeCheck.LockAcquire(this, LockClass, LockKind.Sleeping, shared: true, trylock: true);
        return true;
    }

    /// <summary><c>up_read</c>.</summary>
    [Releases(Shared = true)]
    public void UpRead()
    {
        var me = Environment.CurrentManagedThreadId;
        lock (_sync)
        {
            if (!_readers.Remove(me))
            {
                RuntimeCheck.ReportBadUnlock(LockClass, _writer != 0 ? _writer : _readers.FirstOrDefault());
                return;
            }

            Monitor.PulseAll(_sync);
        }

        RuntimeCheck.LockRelease(this);
    }

    /// <summary><c>down_write</c>.</summary>
    [Acquires, MightSleep]
    public void DownWrite()
    {
        RuntimeCheck.MightSleep("down_write");
        RuntimeCheck.LockAcquire(this, LockClass, LockKind.Sleeping, shared: false, trylock: false);
        var me = Environment.CurrentManagedThreadId;
        lock (_sync)
        {
            _waitingWriters++;
            while (_writer != 0 || _readers.Count != 0)
            {
                Monitor.Wait(_sync);
            }

            _waitingWriters--;
            _writer = me;
        }
    }

    /// <summary><c>down_write_trylock</c>: true with the lock held exclusively.</summary>
    [TryAcquires(true)]
    public bool DownWriteTrylock()
    {
        lock (_sync)
        {
            if (_writer != 0 || _readers.Count != 0)
            {
                return false;
            }

            _writer = Environment.CurrentManagedThreadId;
        }

        RuntimeCheck.LockAcquire(this, LockClass, LockKind.Sleeping, shared: false, trylock: true);
        return true;
    }

    /// <summary><c>up_write</c>.</summary>
    [Releases]
    public void UpWrite()
    {
        lock (_sync)
        {
            if (_writer != Environment.CurrentManagedThreadId)
            {
                RuntimeCheck.ReportBadUnlock(LockClass, _writer);
                return;
            }

            _writer = 0;
            Monitor.PulseAll(_sync);
        }

        RuntimeCheck.LockRelease(this);
    }

    /// <summary><c>lockdep_assert_held</c> (read or write).</summary>
    [AssertsHeld]
    public void AssertHeld() => RuntimeCheck.AssertHeld(this, LockClass);

    /// <summary><c>lockdep_assert_held_write</c>.</summary>
    [AssertsHeld]
    public void AssertWriteHeld()
    {
        lock (_sync)
        {
            if (_writer == Environment.CurrentManagedThreadId)
            {
                return;
            }
        }

        RuntimeCheck.Report(RuntimeViolationKind.LockNotHeld, $"WARNING: lockdep_assert_held_write({LockClass}) failed", LockClass);
    }

    /// <inheritdoc />
    public override string ToString() => $"rwsem {LockClass}";
}
