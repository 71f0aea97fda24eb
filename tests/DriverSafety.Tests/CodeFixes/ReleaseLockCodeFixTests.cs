using DriverSafety.CodeFixes;
using DriverSafety.Tests.Verification;
using Xunit;

namespace DriverSafety.Tests.CodeFixes;

/// <summary>
/// DRV1003: "Release 'L' before this exit" inserts the lock type's release before every leaking exit; "Release 'L' in a
/// finally" wraps what follows the acquire in try/finally. Neither where the lock is held by contract, for a dropped
/// try-lock result, or for a [LockGuard] value.
/// </summary>
public sealed class ReleaseLockCodeFixTests
{
    private const string EarlyReturn = """
        internal sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _state;

            public int Start(bool busy)
            {
                {|#0:_m.Lock()|};
                if (busy)
                    {|#1:return -16;|}
                _state = 1;
                _m.Unlock();
                return 0;
            }
        }
        """;

    [Fact]
    public Task Early_return_gets_the_release_before_it() => Verify.CodeFix<ReleaseLockCodeFix>(
        EarlyReturn,
        """
        internal sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _state;

            public int Start(bool busy)
            {
                _m.Lock();
                if (busy)
                {
                    _m.Unlock();
                    return -16;
                }
                _state = 1;
                _m.Unlock();
                return 0;
            }
        }
        """,
        new VerifyOptions { FixedTitle = "Release '_m' before this exit", CodeActionEquivalenceKey = ReleaseLockCodeFix.BeforeExitKey },
        Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1));

    [Fact]
    public Task Early_return_in_a_finally_drops_the_release_the_finally_makes() => Verify.CodeFix<ReleaseLockCodeFix>(
        EarlyReturn,
        """
        internal sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _state;

            public int Start(bool busy)
            {
                _m.Lock();
                try
                {
                    if (busy)
                        return -16;
                    _state = 1;
                    return 0;
                }
                finally
                {
                    _m.Unlock();
                }
            }
        }
        """,
        new VerifyOptions { FixedTitle = "Release '_m' in a finally", CodeActionEquivalenceKey = ReleaseLockCodeFix.FinallyKey },
        Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1));

    [Fact]
    public Task A_returned_value_is_read_before_the_release() => Verify.CodeFix<ReleaseLockCodeFix>(
        """
        internal sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _state;

            public int Read(bool fast)
            {
                {|#0:_m.Lock()|};
                if (fast)
                    {|#1:return _state + 1;|}
                {|#2:return _state;|}
            }
        }
        """,
        """
        internal sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _state;

            public int Read(bool fast)
            {
                _m.Lock();
                if (fast)
                {
                    int result = _state + 1;
                    _m.Unlock();
                    return result;
                }
                int result1 = _state;
                _m.Unlock();
                return result1;
            }
        }
        """,
        new VerifyOptions { FixedTitle = "Release '_m' before these exits", CodeActionEquivalenceKey = ReleaseLockCodeFix.BeforeExitKey },
        Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1).WithLocation(2));

    [Fact]
    public Task Falling_off_the_end_and_a_throw_get_the_release() => Verify.CodeFix<ReleaseLockCodeFix>(
        """
        internal sealed class Dev
        {
            private readonly object _sync = new object();
            private readonly SpinLock _s = new SpinLock();
            private int _state;

            public void Start(bool broken)
            {
                {|#0:Monitor.Enter(_sync)|};
                if (broken)
                    {|#1:throw new InvalidOperationException("broken");|}
                _state = 1;
            {|#2:}|}

            public void Irq()
            {
                var flags = {|#3:_s.LockIrqSave()|};
                _state = 2;
            {|#4:}|}
        }
        """,
        """
        internal sealed class Dev
        {
            private readonly object _sync = new object();
            private readonly SpinLock _s = new SpinLock();
            private int _state;

            public void Start(bool broken)
            {
                Monitor.Enter(_sync);
                if (broken)
                {
                    Monitor.Exit(_sync);
                    throw new InvalidOperationException("broken");
                }
                _state = 1;
                Monitor.Exit(_sync);
            }

            public void Irq()
            {
                var flags = _s.LockIrqSave();
                _state = 2;
                _s.UnlockIrqRestore(flags);
            }
        }
        """,
        new VerifyOptions { CodeActionEquivalenceKey = ReleaseLockCodeFix.BeforeExitKey, NumberOfFixAllIterations = 1 },
        Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1).WithLocation(2),
        Verify.Diagnostic("DRV1003").WithLocation(3).WithLocation(4));

    /// <summary>A shared hold gets the shared release; the finally shape covers every exit at once.</summary>
    [Fact]
    public Task A_shared_hold_is_released_shared_in_a_finally() => Verify.CodeFix<ReleaseLockCodeFix>(
        """
        internal sealed class Dev
        {
            private readonly RwSemaphore _sem = new RwSemaphore();
            [GuardedBy("_sem")] private int _state;

            public int Read(int mode)
            {
                {|#0:_sem.DownRead()|};
                if (mode == 1)
                    {|#1:return _state;|}
                if (mode == 2)
                    {|#2:throw new InvalidOperationException();|}
                {|#3:return 0;|}
            }
        }
        """,
        """
        internal sealed class Dev
        {
            private readonly RwSemaphore _sem = new RwSemaphore();
            [GuardedBy("_sem")] private int _state;

            public int Read(int mode)
            {
                _sem.DownRead();
                try
                {
                    if (mode == 1)
                        return _state;
                    if (mode == 2)
                        throw new InvalidOperationException();
                    return 0;
                }
                finally
                {
                    _sem.UpRead();
                }
            }
        }
        """,
        new VerifyOptions { CodeActionEquivalenceKey = ReleaseLockCodeFix.FinallyKey },
        Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1).WithLocation(2).WithLocation(3));

    /// <summary>A try-lock that succeeded is released before the exit it leaks at; no finally, which would release where the try-lock failed.</summary>
    [Fact]
    public Task A_try_lock_is_released_before_the_exit_and_never_in_a_finally()
    {
        const string source = """
            internal sealed class Dev
            {
                private readonly Mutex _m = new Mutex();
                [GuardedBy("_m")] private int _state;

                public bool Poke()
                {
                    if ({|#0:_m.TryLock()|})
                    {
                        _state++;
                        {|#1:return true;|}
                    }
                    return false;
                }
            }
            """;
        var expected = Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1);
        return Task.WhenAll(
            Verify.CodeFix<ReleaseLockCodeFix>(source, source, new VerifyOptions { CodeActionEquivalenceKey = ReleaseLockCodeFix.FinallyKey }, expected),
            Verify.CodeFix<ReleaseLockCodeFix>(
                source,
                """
                internal sealed class Dev
                {
                    private readonly Mutex _m = new Mutex();
                    [GuardedBy("_m")] private int _state;

                    public bool Poke()
                    {
                        if (_m.TryLock())
                        {
                            _state++;
                            _m.Unlock();
                            return true;
                        }
                        return false;
                    }
                }
                """,
                new VerifyOptions { FixedTitle = "Release '_m' before this exit" },
                expected));
    }

    /// <summary>
    /// Nothing where a release would be wrong: a lock the method declares it acquires (the throw leaks it, but the
    /// method holds it by contract), a dropped try-lock result (held only where it succeeded), a [LockGuard] value (it
    /// is released by disposing it).
    /// </summary>
    [Fact]
    public Task No_release_for_a_lock_held_by_contract_a_dropped_try_lock_or_a_guard()
    {
        const string source = """
            internal sealed class Dev
            {
                private readonly Mutex _m = new Mutex();
                [GuardedBy("_m")] private int _state;

                [Acquires("_m")]
                public void LockDev(bool broken)
                {
                    {|#0:_m.Lock()|};
                    if (broken)
                        {|#1:throw new InvalidOperationException();|}
                }

                public void Poke()
                {
                    {|#2:_m.TryLock()|};
                    _state++;
                }

                public void Scoped()
                {
                    var guard = {|#3:_m.LockScoped()|};
                    _state++;
                {|#4:}|}
            }
            """;
        return Verify.CodeFix<ReleaseLockCodeFix>(source, source,
            Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1),
            Verify.Diagnostic("DRV1003").WithLocation(2).WithMessage("Lock '_m' acquired here is still held where 'Poke' exits (its result is ignored: the lock is held only where it succeeded)"),
            Verify.Diagnostic("DRV1003").WithLocation(3).WithLocation(4));
    }

    /// <summary>Fix All in document, project and solution scope: one pass each, every finding of every document and project.</summary>
    [Fact]
    public Task FixAll_releases_in_every_document_and_project() => Verify.CodeFix<ReleaseLockCodeFix>(
        """
        internal sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            private readonly Mutex _n = new Mutex();

            public int Start(bool busy)
            {
                {|#0:_m.Lock()|};
                {|#1:_n.Lock()|};
                if (busy)
                    {|#2:return -16;|}
                _n.Unlock();
                _m.Unlock();
                return 0;
            }
        }
        """,
        """
        internal sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            private readonly Mutex _n = new Mutex();

            public int Start(bool busy)
            {
                _m.Lock();
                _n.Lock();
                if (busy)
                {
                    _m.Unlock();
                    _n.Unlock();
                    return -16;
                }
                _n.Unlock();
                _m.Unlock();
                return 0;
            }
        }
        """,
        new VerifyOptions
        {
            ExtraDocuments = new[]
            {
                """
                internal static class Helper
                {
                    public static void Take(Mutex m)
                    {
                        {|#3:m.Lock()|};
                    {|#4:}|}
                }
                """,
            },
            FixedExtraDocuments = new[]
            {
                """
                internal static class Helper
                {
                    public static void Take(Mutex m)
                    {
                        m.Lock();
                        m.Unlock();
                    }
                }
                """,
            },
            OtherProjectDocuments = new[]
            {
                """
                internal sealed class Fence
                {
                    private readonly SpinLock _lock = new SpinLock();

                    public void Signal(bool done)
                    {
                        {|#5:_lock.Lock()|};
                        if (done)
                            {|#6:return;|}
                        _lock.Unlock();
                    }
                }
                """,
            },
            FixedOtherProjectDocuments = new[]
            {
                """
                internal sealed class Fence
                {
                    private readonly SpinLock _lock = new SpinLock();

                    public void Signal(bool done)
                    {
                        _lock.Lock();
                        if (done)
                        {
                            _lock.Unlock();
                            return;
                        }
                        _lock.Unlock();
                    }
                }
                """,
            },
            CodeActionEquivalenceKey = ReleaseLockCodeFix.BeforeExitKey,
            NumberOfFixAllInDocumentIterations = 3,
            NumberOfFixAllInProjectIterations = 2,
            NumberOfFixAllIterations = 1,
        },
        Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(2),
        Verify.Diagnostic("DRV1003").WithLocation(1).WithLocation(2),
        Verify.Diagnostic("DRV1003").WithLocation(3).WithLocation(4),
        Verify.Diagnostic("DRV1003").WithLocation(5).WithLocation(6));
}
