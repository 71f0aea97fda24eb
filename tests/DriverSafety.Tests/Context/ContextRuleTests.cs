using Xunit;
using DriverSafety.Tests.Verification;
using static DriverSafety.Tests.Context.ContextKernel;

namespace DriverSafety.Tests.Context;

/// <summary>DRV2002, DRV2003, DRV2004, DRV9003 and the context annotations' own checks.</summary>
public sealed class ContextRuleTests
{
    [Fact]
    public Task FreeCoherentInHardIrqHandlerNeedsIrqsEnabled() => Analyze("""
        public sealed class Dev
        {
            private byte[] _buffer = new byte[8];

            public void Probe()
            {
                Irqs.RequestIrq(5, irq {|#1:=>|} { {|#0:Coherent.Free(_buffer)|}; return 1; });
                Timers.Setup(data {|#3:=>|} {|#2:Coherent.Free(_buffer)|});
            }
        }
        """,
        Verify.Diagnostic("DRV2002").WithLocation(0).WithLocation(1).WithMessage("'Free' needs IRQs enabled, but a lambda converted to 'IrqHandler' runs with IRQs disabled ([AtomicContext(IrqsOff = true)])"),
        Verify.Diagnostic("DRV2001").WithLocation(2).WithLocation(3).WithMessage("'Free' may sleep ([MightSleep]) while a lambda converted to 'TimerFunc' runs in atomic context ([AtomicContext])"));

    [Fact]
    public Task NeedsIrqsEnabledThroughACallee() => Analyze("""
        public sealed class Dev
        {
            private byte[] _buffer = new byte[8];

            private void Release() => Coherent.Free(_buffer);

            public void Teardown()
            {
                var flags = {|#1:Irq.LocalSave()|};
                {|#0:Release()|};
                Irq.LocalRestore(flags);
                Release();
            }
        }
        """,
        Verify.Diagnostic("DRV2002").WithLocation(0).WithLocation(1).WithMessage("'Release' needs IRQs enabled through Release → Coherent.Free, but IRQs are disabled by 'Irq.LocalSave'"));

    [Fact]
    public Task UnbalancedSaveOnEarlyReturn() => Analyze("""
        public sealed class Dev
        {
            public int Poll(bool busy)
            {
                var flags = {|#0:Irq.LocalSave()|};
                if (busy)
                {
                    {|#1:return -16;|}
                }

                Irq.LocalRestore(flags);
                return 0;
            }
        }
        """,
        Verify.Diagnostic("DRV2003").WithLocation(0).WithLocation(1).WithMessage("'Irq.LocalSave' disables IRQs and 'Poll' can exit with them still disabled"));

    [Fact]
    public Task IrqSaveAndRestoreInsideLoops() => Analyze("""
        public sealed class Dev
        {
            public void Balanced(int n)
            {
                for (var i = 0; i < n; i++)
                {
                    var flags = Irq.LocalSave();
                    Slab.Kmalloc(8, Gfp.Atomic);
                    Irq.LocalRestore(flags);
                }
            }

            public void Leaks(int n)
            {
                for (var i = 0; i < n; i++)
                {
                    {|#0:Irq.LocalSave()|};
                }
            }
        }
        """,
        Verify.Diagnostic("DRV2003").WithLocation(0).WithMessage("'Irq.LocalSave' disables IRQs on some paths only: paths with different depths meet in 'Leaks'"));

    [Fact]
    public Task ConditionalSaveAndRestoreIsOneFinding() => Analyze("""
        public sealed class Dev
        {
            public void Maybe(bool irq)
            {
                ulong flags = 0;
                if (irq)
                {
                    flags = {|#0:Irq.LocalSave()|};
                }

                Slab.Kmalloc(8, Gfp.Atomic);
                if (irq)
                {
                    Irq.LocalRestore(flags);
                }
            }
        }
        """,
        Verify.Diagnostic("DRV2003").WithLocation(0).WithMessage("'Irq.LocalSave' disables IRQs on some paths only: paths with different depths meet in 'Maybe'"));

    [Fact]
    public Task LoweringBelowZero() => Analyze("""
        public sealed class Dev
        {
            public void Twice()
            {
                Preempt.Disable();
                Preempt.Enable();
                {|#0:Preempt.Enable()|};
            }
        }
        """,
        Verify.Diagnostic("DRV2003").WithLocation(0).WithMessage("'Enable' lowers the atomic depth, which is not raised here (the depth would go below zero)"));

    [Fact]
    public Task DeclaredEffectsAreKeptByWrappersAndTakenAtTheirWordByPrimitives() => Analyze("""
        using DriverSafety;

        public static class Wrappers
        {
            [DisablesIrqs] public static ulong Save() => Irq.LocalSave();
            [EnablesIrqs] public static void Restore(ulong flags) => Irq.LocalRestore(flags);

            [EntersAtomic]
            public static void Forgets(bool b)
            {
                if (b)
                {
                    Preempt.Disable();
                    return;
                }
            {|#0:}|}
        }

        public sealed class Dev
        {
            public void Use()
            {
                var flags = Wrappers.Save();
                Slab.Kmalloc(8, Gfp.Atomic);
                Wrappers.Restore(flags);
            }
        }
        """,
        Verify.Diagnostic("DRV2003").WithLocation(0).WithMessage("'Forgets' declares [EntersAtomic] but exits here without the depth raised"));

    [Fact]
    public Task FlagsFromAFieldInAtomicContext() => Analyze("""
        public sealed class Dev
        {
            private readonly SpinLock _lock = new SpinLock();
            private Gfp _gfp = Gfp.Kernel;
            private Gfp _extra;

            private byte[] Grow(Gfp gfp) => Slab.Kmalloc(8, gfp);

            public void Run()
            {
                {|#2:_lock.Lock()|};
                {|#0:Slab.Kmalloc(8, _gfp)|};
                Slab.Kmalloc(8, Gfp.Atomic | (_extra & Gfp.Memalloc));
                {|#1:Grow(_gfp)|};
                _lock.Unlock();
                Slab.Kmalloc(8, _gfp);
            }
        }
        """,
        Verify.Diagnostic("DRV2004").WithLocation(0).WithLocation(2).WithMessage("'Kmalloc' allocates with flags whose may-sleep bits are not known (its flags '_gfp' are not known) while spinning lock '_lock' is held"),
        Verify.Diagnostic("DRV2004").WithLocation(1).WithLocation(2).WithMessage("'Grow' allocates through Grow → Slab.Kmalloc(gfp) with flags whose may-sleep bits are not known (the flags '_gfp' it is given are not known) while spinning lock '_lock' is held"));

    [Fact]
    public Task PublicMemberThatMaySleepWithoutMightSleep() => Analyze("""
        using DriverSafety;

        public sealed class Dev
        {
            private readonly Mutex _mutex = new Mutex();

            public void {|#0:Wait|}() => Sleep();
            private void Sleep() => Sched.Msleep(1);

            [MightSleep] public void Declared() => Sched.Msleep(1);

            public byte[] {|#1:Grow|}(int size, Gfp gfp) => Slab.Kmalloc(size, gfp);

            [Allocates("gfp")] public byte[] Covered(int size, Gfp gfp) => Slab.Kmalloc(size, gfp);

            public void {|#2:Take|}() { _mutex.Lock(); _mutex.Unlock(); }

            internal void Hidden() => Sched.Msleep(1);

            public void Never() => Slab.Kmalloc(8, Gfp.Atomic);
        }
        """,
        Verify.Diagnostic("DRV9003").WithLocation(0).WithMessage("'Wait' may sleep (Sleep → Sched.Msleep: [MightSleep]) but is not annotated [MightSleep]"),
        Verify.Diagnostic("DRV9003").WithLocation(1).WithMessage("'Grow' may sleep (Slab.Kmalloc(gfp): its flags may contain Gfp.DirectReclaim) but is not annotated [MightSleep], or [Allocates(\"gfp\")] since it sleeps only by its flags"),
        Verify.Diagnostic("DRV9003").WithLocation(2).WithMessage("'Take' may sleep (Mutex.Lock: it acquires sleeping lock '_mutex') but is not annotated [MightSleep]"));

    [Fact]
    public Task MalformedContextAnnotations() => Verify.Analyzer("""
        using System;
        using DriverSafety;

        [Flags, AllocationFlags]
        public enum Gfp : uint { None = 0, [MaySleepFlag] DirectReclaim = 1, Io = 2 }

        public enum Plain { A, [{|#0:MaySleepFlag|}] B }

        public static class Api
        {
            [{|#1:MasksAllocationFlags("Io|Nope")|}] public static void Save() { }
            [{|#2:Allocates("flags")|}] public static void Alloc(Gfp gfp) { }
            [{|#3:Allocates("size")|}] public static void Sized(int size) { }
            [{|#4:EntersAtomic|}, ExitsAtomic] public static void Both() { }
        }
        """,
        Verify.Diagnostic("DRV9002").WithLocation(0).WithMessage("[MaySleepFlag] on 'B': 'Plain' is not an [AllocationFlags] enum"),
        Verify.Diagnostic("DRV9001").WithLocation(1).WithMessage("[MasksAllocationFlags(\"Io|Nope\")] on 'Save': 'Nope' is not a flag of an [AllocationFlags] enum of this assembly"),
        Verify.Diagnostic("DRV9001").WithLocation(2).WithMessage("[Allocates(\"flags\")] on 'Alloc': there is no parameter named 'flags'"),
        Verify.Diagnostic("DRV9002").WithLocation(3).WithMessage("[Allocates(\"size\")] on 'Sized': parameter 'size' is of type 'int', not an [AllocationFlags] enum"),
        Verify.Diagnostic("DRV9002").WithLocation(4).WithMessage("[EntersAtomic] and [ExitsAtomic] on 'Both': a method raises or lowers a depth, not both"));
}
