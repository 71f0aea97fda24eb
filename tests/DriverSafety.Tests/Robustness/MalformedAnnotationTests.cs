using System.Globalization;
using DriverSafety.Tests.Verification;
using Microsoft.CodeAnalysis;
using Xunit;
using Xunit.Abstractions;

namespace DriverSafety.Tests.Robustness;

/// <summary>
/// Malformed annotations across the attributes of SPEC §3: null, empty, names that are not parameters or members,
/// paths through methods or indexers, unknown states, flags not in an [AllocationFlags] enum, contradictory attributes,
/// an attribute on the wrong kind of member. Each is reported as DRV9001 or DRV9002 exactly at the attribute (marked
/// <c>{|DRV9001:...|}</c>), the analyzer never throws, and nothing else is reported.
/// </summary>
public sealed class MalformedAnnotationTests
{
    private readonly ITestOutputHelper _output;

    public MalformedAnnotationTests(ITestOutputHelper output) => _output = output;

    /// <summary>A class with a lock, a non-lock field, a method, an array of locks and an allocation-flags parameter.</summary>
    private const string Host = """
        internal sealed class Host
        {
            public readonly Mutex M = new Mutex();
            public readonly Mutex[] Locks = { new Mutex() };
            public int Count;
            public Mutex Get() => M;
            public bool Failed(int r) => r != 0;
        {0}
        }
        """;

    public static readonly (string Name, string Member)[] Cases =
    {
        // Lock annotations (§3.1).
        ("GuardedBy null", "[{|DRV9002:GuardedBy(null)|}] public int A;"),
        ("GuardedBy null element", "[{|DRV9001:GuardedBy((string)null!)|}] public int A;"),
        ("GuardedBy empty", "[{|DRV9001:GuardedBy(\"\")|}] public int A;"),
        ("GuardedBy unknown member", "[{|DRV9001:GuardedBy(\"NoSuch\")|}] public int A;"),
        ("GuardedBy path through a method", "[{|DRV9002:GuardedBy(\"Get().M\")|}] public int A;"),
        ("GuardedBy path through an indexer", "[{|DRV9002:GuardedBy(\"Locks[0]\")|}] public int A;"),
        ("GuardedBy a field that is not a lock", "[{|DRV9002:GuardedBy(\"Count\")|}] public int A;"),
        ("Requires wrong parameter name", "[{|DRV9001:Requires(\"dev.M\")|}] public static void F(Host d) { }"),
        ("Requires empty", "[{|DRV9001:Requires(\"\")|}] public void F() { }"),
        ("Acquires trailing dot", "[{|DRV9001:Acquires(\"M.\")|}] public void F() { }"),
        ("Releases null", "[{|DRV9002:Releases(null)|}] public void F() { }"),
        ("TryAcquires unknown lock", "[{|DRV9001:TryAcquires(true, \"Missing\")|}] public bool F() => true;"),
        ("Excludes empty", "[{|DRV9001:Excludes(\"\")|}] public void F() { }"),
        ("AssertsHeld unknown", "[{|DRV9001:AssertsHeld(\"q\")|}] public void F() { }"),
        ("AcquiredBefore unknown", "[{|DRV9001:AcquiredBefore(\"Nope\")|}] public readonly Mutex N = new Mutex();"),
        // Contradictory lock annotations (new check: the lock reader reported nothing before), by resolved lock, not by text.
        ("Requires and Excludes of one lock", "[Requires(\"M\"), {|DRV9002:Excludes(\"this.M\")|}] public void F() { }"),
        ("Excludes before Requires of one lock", "[{|DRV9002:Excludes(\"M\")|}, Requires(\"M\")] public void F() { }"),
        ("Requires and Excludes of different locks", "[Requires(\"M\"), Excludes(\"N\")] public void F() { } public readonly Mutex N = new Mutex();"),
        ("AcquiredAfter empty", "[{|DRV9001:AcquiredAfter(\"\")|}] public readonly Mutex N = new Mutex();"),

        // Execution context (§3.2).
        ("Allocates wrong parameter name", "[{|DRV9001:Allocates(\"flags\")|}] public static byte[] F(int size, Gfp gfp) => new byte[size];"),
        ("Allocates a parameter that is not allocation flags", "[{|DRV9002:Allocates(\"size\")|}] public static byte[] F(int size, Gfp gfp) => new byte[size];"),
        ("Allocates null", "[{|DRV9001:Allocates(null!)|}] public static byte[] F(int size, Gfp gfp) => new byte[size];"),
        ("MasksAllocationFlags unknown flag", "[{|DRV9001:MasksAllocationFlags(\"Io|NoSuchFlag\")|}] public static uint F() => 0;"),
        ("MasksAllocationFlags empty", "[{|DRV9001:MasksAllocationFlags(\"\")|}] public static uint F() => 0;"),
        ("MasksAllocationFlags null", "[{|DRV9001:MasksAllocationFlags(null!)|}] public static uint F() => 0;"),
        // Contradictory attributes on one member (new check: the context reader reported nothing before).
        ("MightSleep and AtomicContext on one method", "[MightSleep, {|DRV9002:AtomicContext|}] public void F() { }"),
        ("EntersAtomic and ExitsAtomic on one method", "[{|DRV9002:EntersAtomic|}, ExitsAtomic] public void F() { }"),
        ("DisablesIrqs and EnablesIrqs on one method", "[{|DRV9002:DisablesIrqs|}, EnablesIrqs] public void F() { }"),

        // Lifetimes and states (§3.3).
        ("Begins null resource", "[{|DRV9001:Begins(null!)|}] public void F() { }"),
        ("Begins empty resource", "[{|DRV9001:Begins(\"\")|}] public void F() { }"),
        ("Begins on a static method, default target this", "[{|DRV9001:Begins(\"r\")|}] public static void F() { }"),
        ("Begins empty target", "[{|DRV9001:Begins(\"r\", Target = \"\")|}] public void F() { }"),
        ("Begins unknown target", "[{|DRV9001:Begins(\"r\", Target = \"nope\")|}] public void F() { }"),
        ("Begins target through a method", "[{|DRV9002:Begins(\"r\", Target = \"Get().M\")|}] public void F() { }"),
        ("Begins target through an indexer", "[{|DRV9002:Begins(\"r\", Target = \"Locks[0]\")|}] public void F() { }"),
        ("Begins While not a lock", "[{|DRV9001:Begins(\"r\", While = \"nolock\")|}] public void F() { }"),
        ("Begins unknown handle", "[{|DRV9001:Begins(\"r\", Handle = \"nope\")|}] public void F() { }"),
        ("Begins unknown CheckedBy", "[{|DRV9001:Begins(\"r\", Target = \"return\", CheckedBy = \"NoSuchMethod\")|}] public int F() => 0;"),
        ("Ends Match with an empty name", "[Begins(\"r\")] public void B(int a) { } [{|DRV9001:Ends(\"r\", Match = \"a,,b\")|}] public void E(int a, int b) { }"),
        ("Ends Match unknown parameter", "[Begins(\"r\")] public void B(int a) { } [{|DRV9001:Ends(\"r\", Match = \"nope\")|}] public void E(int a) { }"),
        ("RequiresState empty", "[{|DRV9001:RequiresState(\"\")|}] public void F() { }"),
        ("RequiresNotState unknown target", "[{|DRV9001:RequiresNotState(\"s\", Target = \"nope\")|}] public void F() { }"),
        ("EnsuresState null", "[{|DRV9001:EnsuresState(null!)|}] public void F() { }"),
        ("EnsuresNotState unknown target", "[{|DRV9001:EnsuresNotState(\"s\", Target = \"x.y\")|}] public void F() { }"),
        ("StateTest on a method that does not return bool", "[{|DRV9002:StateTest(\"s\")|}] public void F() { }"),
        ("StateTest unknown target", "[{|DRV9001:StateTest(\"s\", Target = \"Nope\")|}] public bool T;"),
    };

    public static IEnumerable<object[]> Names() => Cases.Select(c => new object[] { c.Name });

    [Theory]
    [MemberData(nameof(Names))]
    public async Task A_malformed_annotation_is_reported_at_the_attribute(string name)
    {
        var member = Cases.Single(c => c.Name == name).Member;
        var (source, expected) = Markup.Parse(Host.Replace("{0}", "    " + member, StringComparison.Ordinal));
        var tree = AnalyzerRun.Parse(source, "Test0.cs");
        var compilation = AnalyzerRun.Compile("Malformed", new[] { AnalyzerRun.Prelude(), AnalyzerRun.Parse(Context.ContextKernel.Source, "ContextKernel.cs"), tree });
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));

        var (diagnostics, exceptions) = await AnalyzerRun.AnalyzeAsync(compilation);

        foreach (var d in diagnostics)
        {
            _output.WriteLine($"{d.Id} '{source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length)}': {d.GetMessage(CultureInfo.InvariantCulture)}");
        }

        Assert.Empty(exceptions);
        Assert.Equal(
            expected.Select(e => $"{e.Id} '{source.Substring(e.Start, e.End - e.Start)}'").OrderBy(s => s, StringComparer.Ordinal),
            diagnostics.Select(d => $"{d.Id} '{source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length)}'").OrderBy(s => s, StringComparer.Ordinal));
        // Each message names the attribute and the member, and reads as a sentence (no word dropped: "a  is").
        Assert.All(diagnostics, d =>
        {
            var message = d.GetMessage(CultureInfo.InvariantCulture);
            Assert.StartsWith("[", message, StringComparison.Ordinal);
            Assert.Contains(" on '", message, StringComparison.Ordinal);
            Assert.DoesNotContain("  ", message, StringComparison.Ordinal);
        });
    }
}
