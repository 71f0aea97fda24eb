using Xunit;
using Verifier = DriverSafety.Tests.Verification.Verify<DriverSafety.Analyzers.DriverSafetyAnalyzer>;

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
    public Task LambdaCreatedUnderTheLockDoesNotRunUnderIt() => Verifier.VerifyAsync(Dev + """
            public void Start()
            {
                _m.Lock();
                Task.Run(() => [|_count|]++);
                _m.Unlock();
            }
        }
        """, "DRV1001");

    [Fact]
    public Task LambdaTakingTheLockItself() => Verifier.VerifyAsync(Dev + """
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
    public Task RequiresCallInsideALambda() => Verifier.VerifyAsync(Dev + """
            public Action Start()
            {
                _m.Lock();
                Action a = () => [|Flush()|];
                _m.Unlock();
                return a;
            }
        }
        """, "DRV1002");

    [Fact]
    public Task LambdaLeakingItsLock() => Verifier.Test(Dev + """
            public Action Start()
            {
                return () =>
                {
                    [|_m.Lock()|];
                    _count++;
                };
            }
        }
        """).WithId("DRV1003").Expect(0, additionalLocations: "}").RunAsync();

    [Fact]
    public Task LambdaDoesNotInheritTheEnclosingMethodsContract() => Verifier.VerifyAsync(Dev + """
            [Requires("_m")]
            public Func<int> Snapshot()
            {
                var now = _count;
                return () => [|_count|] + now;
            }
        }
        """, "DRV1001");

    [Fact]
    public Task LocalFunctionCalledOnlyUnderTheLock() => Verifier.VerifyAsync(Dev + """
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
    public Task LocalFunctionCalledOnceWithoutTheLock() => Verifier.VerifyAsync(Dev + """
            public void Start()
            {
                _m.Lock();
                Bump();
                _m.Unlock();
                Bump();

                void Bump() { [|_count|]++; }
            }
        }
        """, "DRV1001");

    [Fact]
    public Task LocalFunctionFindingIsReportedOnce() => Verifier.VerifyAsync(Dev + """
            public void Start()
            {
                Bump();
                Bump();
                Bump();

                void Bump() { [|_count|]++; }
            }
        }
        """, "DRV1001");

    [Fact]
    public Task StaticLocalFunctionWithParameter() => Verifier.VerifyAsync("""
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
    public Task LocalFunctionBalancingItsOwnLock() => Verifier.VerifyAsync(Dev + """
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
