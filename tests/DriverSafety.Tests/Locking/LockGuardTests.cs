using Xunit;
using Verifier = DriverSafety.Tests.Verification.Verify<DriverSafety.Analyzers.DriverSafetyAnalyzer>;

namespace DriverSafety.Tests.Locking;

/// <summary>[LockGuard]: the lock taken by an [Acquires] method returning a guard is held until the guard is disposed.</summary>
public sealed class LockGuardTests
{
    private const string Gem = """
        public sealed class Gem
        {
            public DmaResv Resv { get; } = new DmaResv();
            [GuardedBy("Resv")] public int Pages;
            [Requires("Resv")] public void Vmap() { }

        """;

    [Fact]
    public Task UsingDeclarationHoldsToTheEndOfTheMethod() => Verifier.VerifyAsync(Gem + """
            public int Pin(bool early)
            {
                using var guard = Resv.LockScoped();
                if (early)
                    return Pages;
                Pages++;
                Vmap();
                return 0;
            }
        }
        """);

    [Fact]
    public Task UsingDeclarationEndsWithItsBlock() => Verifier.VerifyAsync(Gem + """
            public void Pin()
            {
                {
                    using var guard = Resv.LockScoped();
                    Pages++;
                }

                [|Pages|]++;
            }
        }
        """, "DRV1001");

    [Fact]
    public Task UsingStatementHoldsInsideTheBlockOnly() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _state;

            public void Touch()
            {
                using (_m.LockScoped())
                {
                    _state++;
                }

                [|_state|]++;
            }
        }
        """, "DRV1001");

    [Fact]
    public Task UsingStatementWithVariable() => Verifier.VerifyAsync(Gem + """
            public void Pin()
            {
                using (var guard = Resv.LockScoped())
                {
                    Vmap();
                }

                [|Vmap()|];
            }
        }
        """, "DRV1002");

    [Fact]
    public Task AccessBeforeTheGuard() => Verifier.VerifyAsync(Gem + """
            public void Pin()
            {
                [|Pages|] = 0;
                using var guard = Resv.LockScoped();
                Pages++;
            }
        }
        """, "DRV1001");

    [Fact]
    public Task UsingGuardInALoop() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _state;

            public void Touch(int n)
            {
                for (var i = 0; i < n; i++)
                {
                    using var guard = _m.LockScoped();
                    _state += i;
                }
            }
        }
        """);

    [Fact]
    public Task GuardNeverDisposedLeaksTheLock() => Verifier.Test("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _state;

            public void Touch()
            {
                var guard = [|_m.LockScoped()|];
                _state++;
            }
        }
        """).WithId("DRV1003").Expect(0, additionalLocations: "}").RunAsync();
}
