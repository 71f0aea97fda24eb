using DriverSafety.Tests.Verification;
using Xunit;

namespace DriverSafety.Tests.Annotations;

/// <summary>
/// The vocabulary SPEC §3 added for every family exists now and its names are checked: <c>[NoAnalysis]</c>,
/// <c>[InvokedBeforeReturn]</c>, <c>Acquires.Subclass</c>, <c>TryAcquires.Blocking</c>, <c>AtomicContext.IrqsOff</c>,
/// <c>[ReclaimContext]</c> on delegate types, <c>[Requires]</c>/<c>[Excludes]</c> on delegate types.
/// </summary>
public sealed class NewVocabularyTests
{
    [Fact]
    public Task Every_new_attribute_and_property_compiles_where_the_spec_puts_it() => Verify.Analyzer("""
        [ReclaimContext]
        public delegate long ScanFn(int n);

        [AtomicContext(IrqsOff = true)]
        public delegate void HardIrq(int irq);

        [Requires("s.Lock"), Excludes("Registry.Lock")]
        public delegate void Visit(Shared s);

        public sealed class Shared
        {
            public readonly Mutex Lock = new Mutex();
        }

        public static class Registry
        {
            public static readonly Mutex Lock = new Mutex();
        }

        public sealed class Dev
        {
            public readonly Mutex Inner = new Mutex();

            [TryAcquires(true, "Inner", Blocking = true)]
            public bool LockInterruptible() => Inner.TryLock();

            [Acquires("Inner", Subclass = 1)]
            public void LockNested() => Inner.Lock();

            [NoAnalysis]
            public void Trusted() => Inner.Lock();

            public void ForEach([InvokedBeforeReturn] Action<int> visit) => visit(1);
        }
        """);

    [Fact]
    public Task InvokedBeforeReturn_on_a_parameter_that_is_not_a_delegate() => Verify.Analyzer("""
        public static class Idr
        {
            public static void Walk([{|#0:InvokedBeforeReturn|}] int count) { }
        }
        """,
        Verify.Diagnostic("DRV9002").WithLocation(0)
            .WithMessage("[InvokedBeforeReturn] on parameter 'count' of 'Walk': its type 'int' is not a delegate type"));

    [Fact]
    public Task A_negative_subclass() => Verify.Analyzer("""
        public sealed class Dev
        {
            public readonly Mutex M = new Mutex();

            [{|#0:Acquires("M", Subclass = -1)|}]
            public void LockNested() => M.Lock();
        }
        """,
        Verify.Diagnostic("DRV9002").WithLocation(0).WithMessage("[Acquires(Subclass = -1)] on 'LockNested': a lockdep subclass is 0 or more"));

    [Fact]
    public Task NoAnalysis_on_an_abstract_member() => Verify.Analyzer("""
        public abstract class Ops
        {
            [{|#0:NoAnalysis|}]
            public abstract void Run();
        }
        """,
        Verify.Diagnostic("DRV9002").WithLocation(0).WithMessage("[NoAnalysis] on abstract member 'Run': it has no body to leave unanalysed"));

    [Fact]
    public Task A_delegate_contract_names_its_parameters_and_nothing_else() => Verify.Analyzer("""
        public sealed class Shared
        {
            public readonly Mutex Lock = new Mutex();
        }

        [{|#0:Requires("other.Lock")|}]
        public delegate void Visit(Shared s);

        [{|#1:Requires|}]
        public delegate void NoLock(Shared s);
        """,
        Verify.Diagnostic("DRV9001").WithLocation(0)
            .WithMessage("[Requires] on 'Visit': lock expression 'other.Lock' names nothing: 'other' is not 'this', a parameter, a member of 'Visit' or a type"),
        Verify.Diagnostic("DRV9001").WithLocation(1)
            .WithMessage("[Requires] on delegate type 'NoLock' names no lock: name the locks by the delegate's parameters or static members"));
}
