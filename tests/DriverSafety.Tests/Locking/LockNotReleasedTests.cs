using Xunit;
using DriverSafety.Tests.Verification;

namespace DriverSafety.Tests.Locking;

/// <summary>
/// DRV1003: a lock acquired in the method is still held at an exit. Reported once per acquire site, on the acquiring
/// invocation, with the exit (the return statement or the closing brace) as additional location.
/// </summary>
public sealed class LockNotReleasedTests
{
    [Fact]
    public Task FallingOffTheEndHoldingTheLock() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _state;

            public void Start()
            {
                {|#0:_m.Lock()|};
                _state = 1;
            {|#1:}|}
        }
        """,
        Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1).WithMessage("Lock '_m' acquired here is still held where 'Start' exits (line 10)"));

    [Fact]
    public Task EarlyReturnHoldingTheLock() => Verify.Analyzer("""
        public sealed class Dev
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
        """,
        Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1).WithArguments("_m", "Start", "line 10", ""));

    [Fact]
    public Task OneDiagnosticPerAcquireSiteEvenWithSeveralLeakingExits() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public int Start(int mode)
            {
                {|#0:_m.Lock()|};
                if (mode == 1)
                    {|#1:return 1;|}
                if (mode == 2)
                    {|#2:return 2;|}
                {|#3:return 3;|}
            }
        }
        """, Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1).WithLocation(2).WithLocation(3));

    [Fact]
    public Task BalancedMethod() => Verify.Analyzer("""
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
    public Task TryFinallyReleasesOnEveryPath() => Verify.Analyzer("""
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
    public Task AThrowHoldingTheLockIsALeak() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public void Start(bool broken)
            {
                {|#0:_m.Lock()|};
                if (broken)
                    {|#1:throw new InvalidOperationException("broken");|}
                _m.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1).WithArguments("_m", "Start", "line 9", ""));

    [Fact]
    public Task MethodDeclaringAcquiresMayExitHoldingTheLock() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [Acquires("_m")] public void LockDev() { _m.Lock(); }
        }
        """);

    [Fact]
    public Task AssertsHeldIsNotAnAcquisition() => Verify.Analyzer("""
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
    public Task CSharpLockStatementIsAlwaysReleased() => Verify.Analyzer("""
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
    public Task MonitorEnterWithoutExit() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly object _sync = new object();

            public void Update()
            {
                {|#0:Monitor.Enter(_sync)|};
            {|#1:}|}
        }
        """, Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1));

    [Fact]
    public Task IrqSaveWithoutRestore() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly SpinLock _lock = new SpinLock();

            public void Irq()
            {
                var flags = {|#0:_lock.LockIrqSave()|};
            {|#1:}|}

            public void Balanced()
            {
                var flags = _lock.LockIrqSave();
                _lock.UnlockIrqRestore(flags);
            }
        }
        """, Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1));

    [Fact]
    public Task SharedHoldNotReleased() => Verify.Analyzer("""
        public sealed class Mm
        {
            private readonly RwSemaphore _sem = new RwSemaphore();

            public void Leak() { {|#0:_sem.DownRead()|}; {|#1:}|}
            public void Balanced() { _sem.DownRead(); _sem.UpRead(); }
        }
        """, Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1));

    [Fact]
    public Task WwLockLeakedOnTheSuccessPath() => Verify.Analyzer("""
        public sealed class Gem
        {
            public DmaResv Resv { get; } = new DmaResv();
            [GuardedBy("Resv")] public int Pages;

            public int Pin(WwAcquireContext ctx)
            {
                int ret = {|#0:Resv.Lock(ctx)|};
                if (ret != 0)
                    return ret;
                Pages++;
                {|#1:return 0;|}
            }
        }
        """, Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1));

    [Fact]
    public Task BreakOutOfALoopHoldingTheLock() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public void Poll(Func<bool> done)
            {
                while (true)
                {
                    {|#0:_m.Lock()|};
                    if (done())
                        break;
                    _m.Unlock();
                }
            {|#1:}|}
        }
        """, Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1));

    [Fact]
    public Task SwitchCaseReturningHoldingTheLock() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _state;

            public int Ioctl(int cmd)
            {
                {|#0:_m.Lock()|};
                switch (cmd)
                {
                    case 0:
                        _state = 0;
                        _m.Unlock();
                        break;
                    case 1:
                        {|#1:return -22;|}
                    default:
                        _m.Unlock();
                        break;
                }

                return 0;
            }
        }
        """, Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1));

    [Fact]
    public Task SwitchReleasingInEveryCase() => Verify.Analyzer("""
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
    public Task TryLockSuccessLeakedAtTheExit() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _state;

            public void Touch()
            {
                if ({|#0:_m.TryLock()|})
                {
                    _state++;
                }
            {|#1:}|}
        }
        """, Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1));

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
    public Task GotoLadderBalanced() => Verify.Analyzer(GotoDev + """
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
    public Task GotoLadderMissingUnlockOnTheSuccessPath() => Verify.Analyzer(GotoDev + """
            public int Probe(int a, int b)
            {
                int ret;

                Config.Lock();
                ret = Check(a);
                if (ret != 0)
                    goto err_unlock_config;
                Mode = a;

                {|#0:Irq.Lock()|};
                ret = Check(b);
                if (ret != 0)
                    goto err_unlock_irq;
                Pending = b;

                Config.Unlock();
                {|#1:return 0;|}

            err_unlock_irq:
                Irq.Unlock();
            err_unlock_config:
                Config.Unlock();
                return ret;
            }
        }
        """,
        Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1).WithMessage("Lock 'Irq' acquired here is still held where 'Probe' exits (line 26)"));

    [Fact]
    public Task GotoLadderMissingUnlockAtTheLastLabel() => Verify.Analyzer(GotoDev + """
            public int Probe(int a, int b)
            {
                int ret;

                {|#0:Config.Lock()|};
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
                {|#1:return ret;|}
            }
        }
        """,
        Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1).WithMessage("Lock 'Config' acquired here is still held where 'Probe' exits (line 32)"));

    [Fact]
    public Task TwoLeakedLocksGiveTwoDiagnostics() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _a = new Mutex();
            private readonly SpinLock _b = new SpinLock();

            public void Start()
            {
                {|#0:_a.Lock()|};
                {|#2:_b.Lock()|};
            {|#1:}|}
        }
        """,
        Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1),
        Verify.Diagnostic("DRV1003").WithLocation(2).WithLocation(1));
}
