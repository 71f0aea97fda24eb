using Xunit;
using DriverSafety.Tests.Verification;
using static DriverSafety.Tests.Context.ContextKernel;

namespace DriverSafety.Tests.Context;

/// <summary>DRV1012: a spinlock class taken in hard IRQ context and elsewhere with IRQs enabled (lockdep's inconsistent lock state).</summary>
public sealed class IrqSafeLockTests
{
    [Fact]
    public Task HandlerAndProcessContextShareASpinlockWithoutIrqsave() => Analyze("""
        public sealed class Dev
        {
            private readonly SpinLock _lock = new SpinLock();
            private int _pending;

            public void Probe() => Irqs.RequestIrq(5, irq => { {|#1:_lock.Lock()|}; _pending++; _lock.Unlock(); return 1; });

            public void Poll()
            {
                {|#0:_lock.Lock()|};
                _pending = 0;
                _lock.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV1012").WithLocation(0).WithLocation(1).WithMessage(
            "Lock 'Dev._lock' is acquired here in 'Poll' with IRQs enabled, and in IRQ context in a lambda converted to 'IrqHandler': an IRQ that arrives while it is held here spins on it forever; take it with IRQs disabled (an irqsave acquire)"));

    [Fact]
    public Task IrqsaveEverywhereIsClean() => Analyze("""
        public sealed class Dev
        {
            private readonly SpinLock _lock = new SpinLock();
            private readonly SpinLock _other = new SpinLock();
            private int _pending;

            public void Probe() => Irqs.RequestIrq(5, irq => { _lock.Lock(); _pending++; _lock.Unlock(); return 1; });

            public void Poll()
            {
                var flags = _lock.LockIrqSave();
                _pending = 0;
                _lock.UnlockIrqRestore(flags);
            }

            public void UnderLocalSave()
            {
                var flags = Irq.LocalSave();
                _lock.Lock();
                _lock.Unlock();
                Irq.LocalRestore(flags);
            }

            public void NeverInIrq()
            {
                _other.Lock();
                _other.Unlock();
            }
        }
        """);

    [Fact]
    public Task HandlerGivenAsMethodGroupTakesTheLockThroughAHelper() => Analyze("""
        public sealed class Dev
        {
            private readonly SpinLock _lock = new SpinLock();
            private int _pending;

            public void Probe() => Irqs.RequestIrq(5, {|#1:OnIrq|});

            private int OnIrq(int irq) { Count(); return 1; }

            private void Count()
            {
                _lock.Lock();
                _pending++;
                _lock.Unlock();
            }

            public void Poll()
            {
                {|#0:_lock.Lock()|};
                _pending = 0;
                _lock.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV1012").WithLocation(0).WithLocation(1).WithMessage(
            "Lock 'Dev._lock' is acquired here in 'Poll' with IRQs enabled, and in IRQ context in 'OnIrq' (converted to 'IrqHandler') through OnIrq → Count → SpinLock.Lock: an IRQ that arrives while it is held here spins on it forever; take it with IRQs disabled (an irqsave acquire)"));

    [Fact]
    public Task HelperCalledFromTheHandlerAndFromProcessContext() => Analyze("""
        public sealed class Dev
        {
            private readonly SpinLock _lock = new SpinLock();
            private int _pending;

            public void Probe() => Irqs.RequestIrq(5, {|#1:OnIrq|});

            private int OnIrq(int irq) { Count(); return 1; }

            private void Count()
            {
                _lock.Lock();
                _pending++;
                _lock.Unlock();
            }

            public void Poll() => {|#0:Count()|};

            public void PollSafely()
            {
                var flags = Irq.LocalSave();
                Count();
                Irq.LocalRestore(flags);
            }
        }
        """,
        Verify.Diagnostic("DRV1012").WithLocation(0).WithLocation(1).WithMessage(
            "Lock 'Dev._lock' is acquired here in 'Poll' (through Poll → Count) with IRQs enabled, and in IRQ context in 'OnIrq' (converted to 'IrqHandler') through OnIrq → Count → SpinLock.Lock: an IRQ that arrives while it is held here spins on it forever; take it with IRQs disabled (an irqsave acquire)"));
}
