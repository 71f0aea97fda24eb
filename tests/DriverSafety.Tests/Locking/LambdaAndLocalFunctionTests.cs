using Xunit;
using DriverSafety.Tests.Verification;

namespace DriverSafety.Tests.Locking;

/// <summary>
/// Lambdas are analysed as their own bodies (creating one does not run it); a local function runs under its callers'
/// locks, and a finding in its body is reported once however many callers lack the lock.
/// </summary>
public sealed class LambdaAndLocalFunctionTests
{
    private const string Dev = """
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _count;
            [Requires("_m")] private void Flush() { }

        """;

    [Fact]
    public Task LambdaCreatedUnderTheLockDoesNotRunUnderIt() => Verify.Analyzer(Dev + """
            public void Start()
            {
                _m.Lock();
                Task.Run(() => {|DRV1001:_count|}++);
                _m.Unlock();
            }
        }
        """);

    [Fact]
    public Task LambdaTakingTheLockItself() => Verify.Analyzer(Dev + """
            public Task Start()
            {
                return Task.Run(() =>
                {
                    _m.Lock();
                    _count++;
                    Flush();
                    _m.Unlock();
                });
            }
        }
        """);

    [Fact]
    public Task RequiresCallInsideALambda() => Verify.Analyzer(Dev + """
            public Action Start()
            {
                _m.Lock();
                Action a = () => {|DRV1002:Flush()|};
                _m.Unlock();
                return a;
            }
        }
        """);

    [Fact]
    public Task LambdaLeakingItsLock() => Verify.Analyzer(Dev + """
            public Action Start()
            {
                return () =>
                {
                    {|#0:_m.Lock()|};
                    _count++;
                {|#1:}|};
            }
        }
        """, Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1));

    [Fact]
    public Task LambdaDoesNotInheritTheEnclosingMethodsContract() => Verify.Analyzer(Dev + """
            [Requires("_m")]
            public Func<int> Snapshot()
            {
                var now = _count;
                return () => {|DRV1001:_count|} + now;
            }
        }
        """);

    [Fact]
    public Task LocalFunctionCalledOnlyUnderTheLock() => Verify.Analyzer(Dev + """
            public void Start()
            {
                _m.Lock();
                Bump();
                Bump();
                _m.Unlock();

                void Bump() { _count++; Flush(); }
            }
        }
        """);

    [Fact]
    public Task LocalFunctionCalledOnceWithoutTheLock() => Verify.Analyzer(Dev + """
            public void Start()
            {
                _m.Lock();
                Bump();
                _m.Unlock();
                Bump();

                void Bump() { {|DRV1001:_count|}++; }
            }
        }
        """);

    [Fact]
    public Task LocalFunctionFindingIsReportedOnce() => Verify.Analyzer(Dev + """
            public void Start()
            {
                Bump();
                Bump();
                Bump();

                void Bump() { {|DRV1001:_count|}++; }
            }
        }
        """);

    [Fact]
    public Task StaticLocalFunctionWithParameter() => Verify.Analyzer("""
        public sealed class Gem
        {
            public DmaResv Resv { get; } = new DmaResv();
            [GuardedBy("Resv")] public int Pages;

            public static void Use(Gem gem)
            {
                using (gem.Resv.LockScoped())
                {
                    Bump(gem);
                }

                static void Bump(Gem g) { g.Pages++; }
            }
        }
        """);

    [Fact]
    public Task LocalFunctionBalancingItsOwnLock() => Verify.Analyzer(Dev + """
            public void Start()
            {
                Bump();
                Bump();

                void Bump()
                {
                    _m.Lock();
                    _count++;
                    _m.Unlock();
                }
            }
        }
        """);
}
