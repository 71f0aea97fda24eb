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
}
