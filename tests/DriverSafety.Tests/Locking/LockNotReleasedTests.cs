using Xunit;
using Verifier = DriverSafety.Tests.Verification.Verify<DriverSafety.Analyzers.DriverSafetyAnalyzer>;

namespace DriverSafety.Tests.Locking;

/// <summary>
/// DRV1003: a lock acquired in the method is still held at an exit. Reported once per acquire site, on the acquiring
/// invocation, with the exit (the return statement or the closing brace) as additional location.
/// </summary>
public sealed class LockNotReleasedTests
{
    [Fact]
    public Task FallingOffTheEndHoldingTheLock() => Verifier.Test("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _state;

            public void Start()
            {
                [|_m.Lock()|];
                _state = 1;
            }
        }
        """).WithId("DRV1003").Expect(0, messageContains: "_m", additionalLocations: "}").RunAsync();

    [Fact]
    public Task EarlyReturnHoldingTheLock() => Verifier.Test("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _state;

            public int Start(bool busy)
            {
                [|_m.Lock()|];
                if (busy)
                    return -16;
                _state = 1;
                _m.Unlock();
                return 0;
            }
        }
        """).WithId("DRV1003").Expect(0, additionalLocations: "return -16;").RunAsync();

    [Fact]
    public Task OneDiagnosticPerAcquireSiteEvenWithSeveralLeakingExits() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public int Start(int mode)
            {
                [|_m.Lock()|];
                if (mode == 1)
                    return 1;
                if (mode == 2)
                    return 2;
                return 3;
            }
        }
        """, "DRV1003");

    [Fact]
    public Task BalancedMethod() => Verifier.VerifyAsync("""
        public sealed class Dev
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
        """);

    [Fact]
    public Task TryFinallyReleasesOnEveryPath() => Verifier.VerifyAsync("""
        public sealed class Dev
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
        """);

    [Fact]
    public Task ThrowEndsAPathWithoutExitChecks() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public void Start(bool broken)
            {
                _m.Lock();
                if (broken)
                    throw new InvalidOperationException("broken");
                _m.Unlock();
            }
        }
        """);

    [Fact]
    public Task MethodDeclaringAcquiresMayExitHoldingTheLock() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [Acquires("_m")] public void LockDev() { _m.Lock(); }
        }
        """);

    [Fact]
    public Task AssertsHeldIsNotAnAcquisition() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _state;

            public void Update()
            {
                _m.AssertHeld();
                _state++;
            }
        }
        """);

    [Fact]
    public Task CSharpLockStatementIsAlwaysReleased() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly object _sync = new object();
            [GuardedBy("_sync")] private int _state;

            public int Update(bool early)
            {
                lock (_sync)
                {
                    if (early)
                        return 0;
                    _state++;
                }

                return 1;
            }
        }
        """);

    [Fact]
    public Task MonitorEnterWithoutExit() => Verifier.Test("""
        public sealed class Dev
        {
            private readonly object _sync = new object();

            public void Update()
            {
                [|Monitor.Enter(_sync)|];
            }
        }
        """).WithId("DRV1003").Expect(0, additionalLocations: "}").RunAsync();

    [Fact]
    public Task IrqSaveWithoutRestore() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly SpinLock _lock = new SpinLock();

            public void Irq()
            {
                var flags = [|_lock.LockIrqSave()|];
            }

            public void Balanced()
            {
                var flags = _lock.LockIrqSave();
                _lock.UnlockIrqRestore(flags);
            }
        }
        """, "DRV1003");

    [Fact]
    public Task SharedHoldNotReleased() => Verifier.VerifyAsync("""
        public sealed class Mm
        {
            private readonly RwSemaphore _sem = new RwSemaphore();

            public void Leak() { [|_sem.DownRead()|]; }
            public void Balanced() { _sem.DownRead(); _sem.UpRead(); }
        }
        """, "DRV1003");

    [Fact]
    public Task WwLockLeakedOnTheSuccessPath() => Verifier.Test("""
        public sealed class Gem
        {
            public DmaResv Resv { get; } = new DmaResv();
            [GuardedBy("Resv")] public int Pages;

            public int Pin(WwAcquireContext ctx)
            {
                int ret = [|Resv.Lock(ctx)|];
                if (ret != 0)
                    return ret;
                Pages++;
                return 0;
            }
        }
        """).WithId("DRV1003").Expect(0, additionalLocations: "return 0;").RunAsync();

    [Fact]
    public Task BreakOutOfALoopHoldingTheLock() => Verifier.Test("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public void Poll(Func<bool> done)
            {
                while (true)
                {
                    [|_m.Lock()|];
                    if (done())
                        break;
                    _m.Unlock();
                }
            }
        }
        """).WithId("DRV1003").Expect(0, additionalLocations: "}").RunAsync();

    [Fact]
    public Task SwitchCaseReturningHoldingTheLock() => Verifier.Test("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _state;

            public int Ioctl(int cmd)
            {
                [|_m.Lock()|];
                switch (cmd)
                {
                    case 0:
                        _state = 0;
                        _m.Unlock();
                        break;
                    case 1:
                        return -22;
                    default:
                        _m.Unlock();
                        break;
                }

                return 0;
            }
        }
        """).WithId("DRV1003").Expect(0, additionalLocations: "return -22;").RunAsync();

    [Fact]
    public Task SwitchReleasingInEveryCase() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _state;

            public int Ioctl(int cmd)
            {
                _m.Lock();
                switch (cmd)
                {
                    case 0:
                        _state = 0;
                        _m.Unlock();
                        break;
                    case 1:
                        _m.Unlock();
                        return -22;
                    default:
                        _state++;
                        _m.Unlock();
                        break;
                }

                return 0;
            }
        }
        """);

    [Fact]
    public Task TryLockSuccessLeakedAtTheExit() => Verifier.Test("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _state;

            public void Touch()
            {
                if ([|_m.TryLock()|])
                {
                    _state++;
                }
            }
        }
        """).WithId("DRV1003").Expect(0, additionalLocations: "}").RunAsync();

    private const string GotoDev = """
        public sealed class Dev
        {
            public readonly Mutex Config = new Mutex();
            public readonly SpinLock Irq = new SpinLock();
            [GuardedBy("Config")] public int Mode;
            [GuardedBy("Irq")] public int Pending;

            public static int Check(int x) => x;

        """;

    [Fact]
    public Task GotoLadderBalanced() => Verifier.VerifyAsync(GotoDev + """
            public int Probe(int a, int b)
            {
                int ret;

                Config.Lock();
                ret = Check(a);
                if (ret != 0)
                    goto err_unlock_config;
                Mode = a;

                Irq.Lock();
                ret = Check(b);
                if (ret != 0)
                    goto err_unlock_irq;
                Pending = b;

                Irq.Unlock();
                Config.Unlock();
                return 0;

            err_unlock_irq:
                Irq.Unlock();
            err_unlock_config:
                Config.Unlock();
                return ret;
            }
        }
        """);

    [Fact]
    public Task GotoLadderMissingUnlockOnTheSuccessPath() => Verifier.Test(GotoDev + """
            public int Probe(int a, int b)
            {
                int ret;

                Config.Lock();
                ret = Check(a);
                if (ret != 0)
                    goto err_unlock_config;
                Mode = a;

                [|Irq.Lock()|];
                ret = Check(b);
                if (ret != 0)
                    goto err_unlock_irq;
                Pending = b;

                Config.Unlock();
                return 0;

            err_unlock_irq:
                Irq.Unlock();
            err_unlock_config:
                Config.Unlock();
                return ret;
            }
        }
        """).WithId("DRV1003").Expect(0, messageContains: "Irq", additionalLocations: "return 0;").RunAsync();

    [Fact]
    public Task GotoLadderMissingUnlockAtTheLastLabel() => Verifier.Test(GotoDev + """
            public int Probe(int a, int b)
            {
                int ret;

                [|Config.Lock()|];
                ret = Check(a);
                if (ret != 0)
                    goto err_unlock_config;
                Mode = a;

                Irq.Lock();
                ret = Check(b);
                if (ret != 0)
                    goto err_unlock_irq;
                Pending = b;

                Irq.Unlock();
                Config.Unlock();
                return 0;

            err_unlock_irq:
                Irq.Unlock();
            err_unlock_config:
                return ret;
            }
        }
        """).WithId("DRV1003").Expect(0, messageContains: "Config", additionalLocations: "return ret;").RunAsync();

    [Fact]
    public Task TwoLeakedLocksGiveTwoDiagnostics() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly Mutex _a = new Mutex();
            private readonly SpinLock _b = new SpinLock();

            public void Start()
            {
                [|_a.Lock()|];
                [|_b.Lock()|];
            }
        }
        """, "DRV1003", additionalLocations: 1);
}
