using Xunit;
using DriverSafety.Tests.Verification;
using static DriverSafety.Tests.Context.ContextKernel;

namespace DriverSafety.Tests.Context;

/// <summary>DRV2001: a call that may sleep in atomic context — directly, by its allocation flags, or through the callees' bodies.</summary>
public sealed class SleepInAtomicTests
{
    /// <summary>Seed 004, before the fix: the remap path allocates page tables with GFP_KERNEL whatever the caller passed.</summary>
    [Fact]
    public Task BrokenArmAllocatorUnderIrqSave() => Analyze("""
        public static class Arm
        {
            public static byte[]? DmaAllocCoherent(int size, Gfp gfp) => RemapAlloc(size, gfp);
            private static byte[]? RemapAlloc(int size, Gfp gfp) => MapVmArea(size);
            private static byte[]? MapVmArea(int size) { PteAllocKernel(); return new byte[size]; }
            private static void PteAllocKernel() => Slab.AllocPage(Gfp.Kernel);
        }

        public static class Driver
        {
            public static void Probe()
            {
                var flags = {|#1:Irq.LocalSave()|};
                {|#0:Arm.DmaAllocCoherent(4096, Gfp.Atomic)|};
                Irq.LocalRestore(flags);
            }
        }
        """,
        Verify.Diagnostic("DRV2001").WithLocation(0).WithLocation(1).WithMessage(
            "'DmaAllocCoherent' may sleep through DmaAllocCoherent → RemapAlloc → MapVmArea → PteAllocKernel → Slab.AllocPage(Gfp.Kernel) (its flags may contain Gfp.DirectReclaim) while IRQs are disabled by 'Irq.LocalSave'"));

    /// <summary>Seed 004, fixed: a caller that may not sleep is served from the atomic pool; one that may sleep still is flagged.</summary>
    [Fact]
    public Task FixedArmAllocatorFollowsOnlyTheBranchItsFlagsTake() => Analyze("""
        public static class Arm
        {
            public static byte[]? DmaAllocCoherent(int size, Gfp gfp)
            {
                if ((gfp & Gfp.DirectReclaim) == 0)
                {
                    return PoolAlloc(size);
                }

                return RemapAlloc(size, gfp);
            }

            private static byte[]? PoolAlloc(int size) => new byte[size];
            private static byte[]? RemapAlloc(int size, Gfp gfp) => MapVmArea(size, gfp);
            private static byte[]? MapVmArea(int size, Gfp gfp) => Slab.Kmalloc(size, gfp | Gfp.Zero);
        }

        public static class Driver
        {
            public static void Atomic()
            {
                var flags = Irq.LocalSave();
                Arm.DmaAllocCoherent(4096, Gfp.Atomic);
                Arm.DmaAllocCoherent(4096, Gfp.NoWait);
                Irq.LocalRestore(flags);
            }

            public static void Blocking()
            {
                var flags = {|#1:Irq.LocalSave()|};
                {|#0:Arm.DmaAllocCoherent(4096, Gfp.Kernel)|};
                Irq.LocalRestore(flags);
            }
        }
        """,
        Verify.Diagnostic("DRV2001").WithLocation(0).WithLocation(1).WithMessage(
            "'DmaAllocCoherent' may sleep through DmaAllocCoherent → RemapAlloc → MapVmArea → Slab.Kmalloc(gfp | Gfp.Zero) (its flags may contain Gfp.DirectReclaim) while IRQs are disabled by 'Irq.LocalSave'"));

    [Fact]
    public Task AllocationFlagsUnderSpinlock() => Analyze("""
        public sealed class Dev
        {
            private readonly SpinLock _lock = new SpinLock();

            public void Fill()
            {
                {|#1:_lock.Lock()|};
                Slab.Kmalloc(64, Gfp.Atomic);
                Slab.Kmalloc(64, Gfp.NoWait);
                Slab.Kmalloc(64, Gfp.Atomic | Gfp.Zero);
                {|#0:Slab.Kmalloc(64, Gfp.Kernel)|};
                _lock.Unlock();
                Slab.Kmalloc(64, Gfp.Kernel);
            }
        }
        """,
        Verify.Diagnostic("DRV2001").WithLocation(0).WithLocation(1).WithMessage(
            "'Kmalloc' may sleep (its flags may contain Gfp.DirectReclaim) while spinning lock '_lock' is held"));

    [Fact]
    public Task SleepingMutexInsideSpinlock() => Analyze("""
        public sealed class Dev
        {
            private readonly SpinLock _lock = new SpinLock();
            private readonly SpinLock _stats = new SpinLock();
            private readonly Mutex _mutex = new Mutex();

            public void Nest()
            {
                {|#1:_lock.Lock()|};
                {|#0:_mutex.Lock()|};
                _mutex.Unlock();
                _lock.Unlock();
            }

            public void Fine()
            {
                _mutex.Lock();
                _stats.Lock();
                _stats.Unlock();
                _mutex.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV2001").WithLocation(0).WithLocation(1).WithMessage(
            "'Lock' may sleep (it acquires sleeping lock '_mutex') while spinning lock '_lock' is held"));

    [Fact]
    public Task LockStatementAndThreadSleepUnderSpinlock() => Analyze("""
        using System.Threading;

        public sealed class Dev
        {
            private readonly SpinLock _lock = new SpinLock();
            private readonly object _gate = new object();

            public void Wait()
            {
                {|#2:_lock.Lock()|};
                lock ({|#0:_gate|})
                {
                }

                {|#1:Thread.Sleep(1)|};
                _lock.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV2001").WithLocation(0).WithLocation(2).WithMessage(
            "'Enter' may sleep ('Monitor.Enter' blocks the thread) while spinning lock '_lock' is held"),
        Verify.Diagnostic("DRV2001").WithLocation(1).WithLocation(2).WithMessage(
            "'Sleep' may sleep ('Thread.Sleep' blocks the thread) while spinning lock '_lock' is held"));

    [Fact]
    public Task BlockingDotNetCallsFromTheModelsTable() => Analyze("""
        using System.Threading;
        using System.Threading.Tasks;

        public sealed class Dev
        {
            private readonly SpinLock _lock = new SpinLock();
            private readonly SemaphoreSlim _sem = new SemaphoreSlim(1);
            private readonly ManualResetEventSlim _event = new ManualResetEventSlim();

            public int Wait(Task<int> task, Task other, AutoResetEvent handle)
            {
                {|#5:_lock.Lock()|};
                {|#0:_sem.Wait()|};
                _sem.Wait(0);
                {|#1:_event.Wait()|};
                {|#2:handle.WaitOne()|};
                {|#3:other.Wait()|};
                var result = {|#4:task.Result|};
                _lock.Unlock();
                return result;
            }
        }
        """,
        Verify.Diagnostic("DRV2001").WithLocation(0).WithLocation(5).WithMessage("'Wait' may sleep ('SemaphoreSlim.Wait' blocks the thread) while spinning lock '_lock' is held"),
        Verify.Diagnostic("DRV2001").WithLocation(1).WithLocation(5).WithMessage("'Wait' may sleep ('ManualResetEventSlim.Wait' blocks the thread) while spinning lock '_lock' is held"),
        Verify.Diagnostic("DRV2001").WithLocation(2).WithLocation(5).WithMessage("'WaitOne' may sleep ('WaitHandle.WaitOne' blocks the thread) while spinning lock '_lock' is held"),
        Verify.Diagnostic("DRV2001").WithLocation(3).WithLocation(5).WithMessage("'Wait' may sleep ('Task.Wait' blocks the thread) while spinning lock '_lock' is held"),
        Verify.Diagnostic("DRV2001").WithLocation(4).WithLocation(5).WithMessage("'Result' may sleep ('Task.Result' blocks the thread) while spinning lock '_lock' is held"));

    [Fact]
    public Task WorkItemAndTaskRunLambdasCreatedUnderSpinlockAreNotAtomic() => Analyze("""
        using System.Threading;
        using System.Threading.Tasks;

        public sealed class Dev
        {
            private readonly SpinLock _lock = new SpinLock();

            public void Defer()
            {
                _lock.Lock();
                WorkQueue.Queue(() => Sched.Msleep(10));
                Task.Run(() => Thread.Sleep(10));
                _lock.Unlock();
            }
        }
        """);

    [Fact]
    public Task LocalFunctionCalledUnderTheLockAndAfterTheUnlock() => Analyze("""
        public sealed class Dev
        {
            private readonly SpinLock _lock = new SpinLock();

            public void Under()
            {
                {|#1:_lock.Lock()|};
                Pause();
                _lock.Unlock();

                void Pause() => {|#0:Sched.Msleep(1)|};
            }

            public void After()
            {
                _lock.Lock();
                _lock.Unlock();
                Pause();

                void Pause() => Sched.Msleep(1);
            }
        }
        """,
        Verify.Diagnostic("DRV2001").WithLocation(0).WithLocation(1).WithMessage("'Msleep' may sleep ([MightSleep]) while spinning lock '_lock' is held"));

    [Fact]
    public Task IrqHandlerGivenAsMethodGroupIsCheckedAtTheConversion() => Analyze("""
        public sealed class Dev
        {
            public void Probe()
            {
                Irqs.RequestIrq(5, {|#0:OnIrq|});
                Irqs.RequestIrq(6, OnIrqFine);
            }

            private int OnIrq(int irq) { Wait(); return 1; }
            private void Wait() => Sched.Msleep(1);
            private int OnIrqFine(int irq) { Slab.Kmalloc(16, Gfp.Atomic); return 1; }
        }
        """,
        Verify.Diagnostic("DRV2001").WithLocation(0).WithMessage(
            "'OnIrq' may sleep through OnIrq → Wait → Sched.Msleep ([MightSleep]) while it is converted to 'IrqHandler', which runs in atomic context with IRQs disabled"));

    [Fact]
    public Task LambdaConvertedToAnAtomicDelegateRunsInAtomicContext() => Analyze("""
        public sealed class Dev
        {
            public void Probe()
            {
                Timers.Setup(data {|#1:=>|} {|#0:Sched.Msleep(1)|});
                Timers.Setup(data => Slab.Kmalloc(8, Gfp.Atomic));
            }
        }
        """,
        Verify.Diagnostic("DRV2001").WithLocation(0).WithLocation(1).WithMessage(
            "'Msleep' may sleep ([MightSleep]) while a lambda converted to 'TimerFunc' runs in atomic context ([AtomicContext])"));

    [Fact]
    public Task AtomicContextMethodAndInterfaceImplementation() => Analyze("""
        using DriverSafety;

        public interface IFenceCallback
        {
            [{|#1:AtomicContext|}] void Signalled();
        }

        public sealed class Waiter : IFenceCallback
        {
            public void Signalled() => {|#0:Sched.Msleep(1)|};
        }

        public sealed class Timer
        {
            [{|#3:AtomicContext|}]
            public void Expire() => {|#2:Slab.Kmalloc(8, Gfp.Kernel)|};
        }
        """,
        Verify.Diagnostic("DRV2001").WithLocation(0).WithMessage("'Msleep' may sleep ([MightSleep]) while 'Signalled' runs in atomic context ([AtomicContext])").WithLocation(1),
        Verify.Diagnostic("DRV2001").WithLocation(2).WithLocation(3).WithMessage("'Kmalloc' may sleep (its flags may contain Gfp.DirectReclaim) while 'Expire' runs in atomic context ([AtomicContext])"));

    [Fact]
    public Task HelperWhoseFlagsComeFromItsCallerIsCheckedAtEachCall() => Analyze("""
        public sealed class Dev
        {
            private readonly SpinLock _lock = new SpinLock();

            private byte[] Grow(int size, Gfp gfp) => Slab.Kmalloc(size, gfp);

            public void Both()
            {
                {|#1:_lock.Lock()|};
                Grow(8, Gfp.Atomic);
                {|#0:Grow(8, Gfp.NoIo)|};
                _lock.Unlock();
                Grow(8, Gfp.Kernel);
            }
        }
        """,
        Verify.Diagnostic("DRV2001").WithLocation(0).WithLocation(1).WithMessage(
            "'Grow' may sleep through Grow → Slab.Kmalloc(gfp) (its flags may contain Gfp.DirectReclaim) while spinning lock '_lock' is held"));

    [Fact]
    public Task CalleeThatDropsTheCallersSpinlockAroundItsAllocationIsClean() => Analyze("""
        using DriverSafety;

        public sealed class Dev
        {
            private readonly SpinLock _lock = new SpinLock();

            [Requires("_lock")]
            private void Refill()
            {
                _lock.Unlock();
                Slab.Kmalloc(4096, Gfp.Kernel);
                _lock.Lock();
            }

            public void Run()
            {
                _lock.Lock();
                Refill();
                _lock.Unlock();
            }
        }
        """);

    [Fact]
    public Task ChainsFiveAndMoreCallsDeep() => Analyze("""
        public sealed class Dev
        {
            private readonly SpinLock _lock = new SpinLock();

            private void A() => B();
            private void B() => C();
            private void C() => D();
            private void D() => E();
            private void E() => F();
            private void F() => Sched.Msleep(1);

            public void Run()
            {
                {|#1:_lock.Lock()|};
                {|#0:A()|};
                _lock.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV2001").WithLocation(0).WithLocation(1).WithMessage(
            "'A' may sleep through A → B → C → D → E → F → Sched.Msleep ([MightSleep]) while spinning lock '_lock' is held"));

    [Fact]
    public Task CallDepthIsBoundedByEditorConfig() => Analyze("""
        public sealed class Dev
        {
            private readonly SpinLock _lock = new SpinLock();

            private void A() => B();
            private void B() => C();
            private void C() => Sched.Msleep(1);
            private void Near() => Sched.Msleep(1);

            public void Run()
            {
                {|#1:_lock.Lock()|};
                A();
                {|#0:Near()|};
                _lock.Unlock();
            }
        }
        """,
        new VerifyOptions { EditorConfig = "is_global = true\ndriversafety.max_call_depth = 2\n" },
        Verify.Diagnostic("DRV2001").WithLocation(0).WithLocation(1).WithMessage(
            "'Near' may sleep through Near → Sched.Msleep ([MightSleep]) while spinning lock '_lock' is held"));

    [Fact]
    public Task MutualRecursion() => Analyze("""
        public sealed class Dev
        {
            private readonly SpinLock _lock = new SpinLock();

            private void Even(int n) { if (n == 0) { Sched.Msleep(1); return; } Odd(n - 1); }
            private void Odd(int n) { if (n == 0) return; Even(n - 1); }

            public void Run()
            {
                {|#1:_lock.Lock()|};
                {|#0:Odd(3)|};
                _lock.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV2001").WithLocation(0).WithLocation(1).WithMessage(
            "'Odd' may sleep through Odd → Even → Sched.Msleep ([MightSleep]) while spinning lock '_lock' is held"));

    [Fact]
    public Task MemallocScopes() => Analyze("""
        public sealed class Dev
        {
            private readonly SpinLock _lock = new SpinLock();

            public void NoReclaim()
            {
                _lock.Lock();
                var scope = Memalloc.NoreclaimSave();
                Slab.Kmalloc(64, Gfp.Kernel);
                Memalloc.NoreclaimRestore(scope);
                _lock.Unlock();
            }

            public void NoFsStillSleeps()
            {
                {|#1:_lock.Lock()|};
                var scope = Memalloc.NofsSave();
                {|#0:Slab.Kmalloc(64, Gfp.Kernel)|};
                Memalloc.NofsRestore(scope);
                _lock.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV2001").WithLocation(0).WithLocation(1).WithMessage(
            "'Kmalloc' may sleep (its flags may contain Gfp.DirectReclaim) while spinning lock '_lock' is held"));

    [Fact]
    public Task PreemptDisableAndSpinlockWithIrqSave() => Analyze("""
        public sealed class Dev
        {
            private readonly SpinLock _lock = new SpinLock();

            public void Preempted()
            {
                {|#1:Preempt.Disable()|};
                {|#0:Sched.Msleep(1)|};
                Preempt.Enable();
                Sched.Msleep(1);
            }

            public void IrqSave()
            {
                var flags = {|#3:_lock.LockIrqSave()|};
                {|#2:Sched.Msleep(1)|};
                _lock.UnlockIrqRestore(flags);
            }
        }
        """,
        Verify.Diagnostic("DRV2001").WithLocation(0).WithLocation(1).WithMessage("'Msleep' may sleep ([MightSleep]) while the atomic depth is raised by 'Preempt.Disable'"),
        Verify.Diagnostic("DRV2001").WithLocation(2).WithLocation(3).WithMessage("'Msleep' may sleep ([MightSleep]) while lock '_lock' is held with IRQs disabled"));

    [Fact]
    public Task HelperThatSleepsInsideItsOwnAtomicSectionAndItsAtomicCaller() => Analyze("""
        public sealed class Dev
        {
            private readonly SpinLock _inner = new SpinLock();
            private readonly SpinLock _outer = new SpinLock();

            private void Helper()
            {
                {|#1:_inner.Lock()|};
                {|#0:Sched.Msleep(1)|};
                _inner.Unlock();
            }

            public void Caller()
            {
                {|#3:_outer.Lock()|};
                {|#2:Helper()|};
                _outer.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV2001").WithLocation(0).WithLocation(1).WithMessage("'Msleep' may sleep ([MightSleep]) while spinning lock '_inner' is held"),
        Verify.Diagnostic("DRV2001").WithLocation(2).WithLocation(3).WithMessage("'Helper' may sleep through Helper → Sched.Msleep ([MightSleep]) while spinning lock '_outer' is held"));

    [Fact]
    public Task VirtualCallGoesByTheDeclaredContract() => Analyze("""
        using DriverSafety;

        public abstract class Ops
        {
            public abstract void Quiet();
            [MightSleep] public abstract void Loud();
        }

        public sealed class SleepyOps : Ops
        {
            public override void Quiet() { }
            public override void Loud() => Sched.Msleep(1);
        }

        public sealed class Dev
        {
            private readonly SpinLock _lock = new SpinLock();

            public void Run(Ops ops)
            {
                {|#1:_lock.Lock()|};
                ops.Quiet();
                {|#0:ops.Loud()|};
                _lock.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV2001").WithLocation(0).WithLocation(1).WithMessage("'Loud' may sleep ([MightSleep]) while spinning lock '_lock' is held"));

    [Fact]
    public Task LocalFunctionWithAContextContractIsCheckedAtItsCall() => Analyze("""
        using DriverSafety;

        public sealed class Dev
        {
            private readonly SpinLock _lock = new SpinLock();

            public void Run()
            {
                {|#1:_lock.Lock()|};
                {|#0:Wait()|};
                _lock.Unlock();

                [MightSleep]
                static void Wait() { }
            }
        }
        """,
        Verify.Diagnostic("DRV2001").WithLocation(0).WithLocation(1).WithMessage("'Wait' may sleep ([MightSleep]) while spinning lock '_lock' is held"));

    [Fact]
    public Task RequiredSpinlockMakesTheBodyAtomic() => Analyze("""
        using DriverSafety;

        public sealed class Dev
        {
            private readonly SpinLock _lock = new SpinLock();

            [Requires("_lock")]
            private void Locked() => {|#0:Sched.Msleep(1)|};
        }
        """,
        Verify.Diagnostic("DRV2001").WithLocation(0).WithMessage("'Msleep' may sleep ([MightSleep]) while spinning lock '_lock' is held (required on entry)"));

    [Fact]
    public Task HasFlagAndNegatedFlagTestsDecideTheBranch() => Analyze("""
        public static class Pool
        {
            public static byte[]? Get(int size, Gfp gfp)
            {
                if (!gfp.HasFlag(Gfp.DirectReclaim))
                {
                    return null;
                }

                return Slab.Kmalloc(size, gfp);
            }
        }

        public sealed class Dev
        {
            private readonly SpinLock _lock = new SpinLock();

            public void Run()
            {
                {|#1:_lock.Lock()|};
                Pool.Get(8, Gfp.Atomic);
                {|#0:Pool.Get(8, Gfp.Kernel)|};
                _lock.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV2001").WithLocation(0).WithLocation(1).WithMessage(
            "'Get' may sleep through Get → Slab.Kmalloc(gfp) (its flags may contain Gfp.DirectReclaim) while spinning lock '_lock' is held"));

    /// <summary>amd-iommu's increase_address_space(): the caller's flags used inside the method's own IRQs-off section.</summary>
    [Fact]
    public Task CallerFlagsInsideTheCalleesOwnAtomicSection() => Analyze("""
        public sealed class Domain
        {
            private readonly SpinLock _lock = new SpinLock();

            public bool Increase(Gfp gfp)
            {
                var flags = _lock.LockIrqSave();
                Slab.Kmalloc(4096, gfp);
                _lock.UnlockIrqRestore(flags);
                return true;
            }

            public bool Fixed(Gfp gfp)
            {
                Slab.Kmalloc(4096, gfp);
                var flags = _lock.LockIrqSave();
                _lock.UnlockIrqRestore(flags);
                return true;
            }
        }

        public static class Vfio
        {
            public static void Map(Domain domain)
            {
                {|#0:domain.Increase(Gfp.Kernel)|};
                domain.Increase(Gfp.Atomic);
                domain.Fixed(Gfp.Kernel);
            }
        }
        """,
        Verify.Diagnostic("DRV2001").WithLocation(0).WithMessage(
            "'Increase' may sleep through Increase → Slab.Kmalloc(gfp) (its flags may contain Gfp.DirectReclaim) while 'Increase' is in atomic context there (lock '_lock' is held with IRQs disabled)"));
}
