using DriverSafety.Tests.Verification;
using Microsoft.CodeAnalysis.Testing;

namespace DriverSafety.Tests.Context;

/// <summary>The kernel surface the execution-context tests use: allocation flags, IRQ and preemption control, memalloc scopes, callbacks.</summary>
internal static class ContextKernel
{
    public const string Source = """
        using System;
        using DriverSafety;

        [Flags, AllocationFlags]
        public enum Gfp : uint
        {
            None = 0,
            [MaySleepFlag] DirectReclaim = 1 << 0,
            KswapdReclaim = 1 << 1,
            [ReclaimFlag] Io = 1 << 2,
            [ReclaimFlag] Fs = 1 << 3,
            HighPriority = 1 << 4,
            Zero = 1 << 5,
            Memalloc = 1 << 6,
            Kernel = DirectReclaim | KswapdReclaim | Io | Fs,
            NoIo = DirectReclaim | KswapdReclaim,
            Atomic = HighPriority | KswapdReclaim,
            NoWait = KswapdReclaim,
        }

        public static class Slab
        {
            [Allocates("gfp")] public static byte[] Kmalloc(int size, Gfp gfp) => new byte[size];
            [Allocates("gfp")] public static object? AllocPage(Gfp gfp) => null;
        }

        public static class Irq
        {
            [DisablesIrqs] public static ulong LocalSave() => 0;
            [EnablesIrqs] public static void LocalRestore(ulong flags) { }
        }

        public static class Preempt
        {
            [EntersAtomic] public static void Disable() { }
            [ExitsAtomic] public static void Enable() { }
        }

        public static class Sched
        {
            [MightSleep] public static void Msleep(int ms) { }
        }

        public static class Memalloc
        {
            [MasksAllocationFlags("Io|Fs")] public static uint NofsSave() => 0;
            [UnmasksAllocationFlags] public static void NofsRestore(uint flags) { }
            [MasksAllocationFlags("DirectReclaim")] public static uint NoreclaimSave() => 0;
            [UnmasksAllocationFlags] public static void NoreclaimRestore(uint flags) { }
        }

        public static class Coherent
        {
            [MightSleep, RequiresIrqsEnabled] public static void Free(byte[] buffer) { }
        }

        [AtomicContext] public delegate void TimerFunc(object data);

        [AtomicContext(IrqsOff = true)] public delegate int IrqHandler(int irq);

        public static class Irqs
        {
            public static void RequestIrq(int irq, IrqHandler handler) { }
        }

        public static class WorkQueue
        {
            public static void Queue(Action work) { }
        }

        public static class Timers
        {
            public static void Setup(TimerFunc func) { }
        }
        """;

    public static VerifyOptions Options { get; } = new() { ExtraDocuments = new[] { Source } };

    public static Task Analyze(string source, params DiagnosticResult[] expected) => Verify.Analyzer(source, Options, expected);

    public static Task Analyze(string source, VerifyOptions options, params DiagnosticResult[] expected) =>
        Verify.Analyzer(source, options with { ExtraDocuments = new[] { Source } }, expected);
}
