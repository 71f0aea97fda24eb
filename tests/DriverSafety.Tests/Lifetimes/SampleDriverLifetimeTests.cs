using System.Collections.Immutable;
using DriverSafety.Tests.Samples;
using DriverSafety.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;

namespace DriverSafety.Tests.Lifetimes;

/// <summary>
/// The lifetime rules on the sample driver: a planted lifetime bug is found, and on every simulation test of the
/// driver's own test suite the static rules agree with its run-time DMA-API debug checks.
/// </summary>
public sealed class SampleDriverLifetimeTests
{
    /// <summary>The run-time DMA-API debug checks of the sample driver and the rule that finds the same mistake statically.</summary>
    private static readonly Dictionary<string, string> RuleOfViolation = new(StringComparer.Ordinal)
    {
        ["DmaDoubleMap"] = "DRV3002",
        ["DmaUnmapNotMapped"] = "DRV3004",
        ["DmaMismatchedFree"] = "DRV3003",
        ["DmaMappingErrorNotChecked"] = "DRV3008",
        ["DmaLeak"] = "DRV3001",
        ["DmaSyncInvalid"] = "DRV3005",
    };

    /// <summary>Simulation tests where the two differ, and why (each entry: test method → the rules only one side reports).</summary>
    private static readonly Dictionary<string, string> KnownDifferences = new(StringComparer.Ordinal)
    {
        // The second allocation fails at run time and the test asserts it (Assert.Null): no leak. Statically an assertion
        // is not a branch (SPEC §6: exceptions thrown by calls are not paths), so the buffer counts as possibly allocated
        // and owned by the test method: DRV3001.
        ["PoolExhaustionFailsTheAtomicAllocation"] = "static DRV3001 only",

        // One mistake, two run-time reports: the double map (DMA-API debug) and the leak of the first mapping it causes
        // at teardown. Statically one finding per mistake (§7.22: the DRV3002 keeps one open resource, ended later).
        ["MappingAMappedTableIsReportedAndLeaks"] = "run-time DmaLeak only",

        // The object comes from a handle lookup: native at run time, so nothing fires there; statically its
        // "imported" state is not proved (no StateTest branch in the test), which the native-only API requires: DRV3005.
        ["VmapBothFlavoursShareThePagesAndTheOneDmaMapping"] = "static DRV3005 only",

        // Reports violations of every kind by hand to test RuntimeCheck itself; no DMA API is called.
        ["AssertCleanListsEveryViolation"] = "run-time DmaLeak only",
    };

    private static readonly Lazy<(Compilation Compilation, ImmutableArray<SyntaxTree> Tests)> Simulations = new(CompileSimulations);

    [Fact]
    public async Task A_lifetime_bug_planted_in_the_driver_is_found()
    {
        // Drop vgem's forwarding of an imported object's mmap to its exporter (seed 001): the native mmap then needs a proof.
        var compilation = SampleDriverTests.CompileDriver();
        var (tree, guard) = compilation.SyntaxTrees
            .SelectMany(t => t.GetRoot().DescendantNodes().OfType<IfStatementSyntax>().Select(s => (Tree: t, Statement: s)))
            .First(p => p.Statement.Condition.ToString() == "obj.ImportAttach is { } attach" && p.Statement.Else?.Statement is IfStatementSyntax);
        var native = ((IfStatementSyntax)guard.Else!.Statement).Else!.Statement;
        var mutated = tree.WithRootAndOptions(tree.GetRoot().ReplaceNode(guard, native), tree.Options);

        var (diagnostics, exceptions) = await AnalyzerRun.AnalyzeAsync(compilation.ReplaceSyntaxTree(tree, mutated));

        Assert.Empty(exceptions);
        Assert.Contains(diagnostics, d => d.Id == "DRV3005" && d.Location.SourceTree == mutated);
    }

    [Fact]
    public async Task The_static_rules_agree_with_the_runtime_DMA_checks_on_every_simulation_test()
    {
        var (compilation, tests) = Simulations.Value;
        var (diagnostics, exceptions) = await AnalyzerRun.AnalyzeAsync(compilation);
        Assert.Empty(exceptions);

        var disagreements = new List<string>();
        var compared = 0;
        foreach (var tree in tests)
        {
            foreach (var method in tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>())
            {
                if (!method.AttributeLists.SelectMany(l => l.Attributes).Any(a => a.Name.ToString() is "Fact" or "Theory"))
                {
                    continue;
                }

                compared++;
                var runtime = method.DescendantNodes().OfType<MemberAccessExpressionSyntax>()
                    .Where(m => m.Expression.ToString() == "RuntimeViolationKind" && RuleOfViolation.ContainsKey(m.Name.Identifier.ValueText))
                    .Select(m => RuleOfViolation[m.Name.Identifier.ValueText])
                    .ToHashSet(StringComparer.Ordinal);
                var found = diagnostics
                    .Where(d => d.Id.StartsWith("DRV300", StringComparison.Ordinal) && d.Location.SourceTree == tree && method.Span.Contains(d.Location.SourceSpan))
                    .ToList();
                var name = method.Identifier.ValueText;
                if (!runtime.SetEquals(found.Select(d => d.Id)) && !KnownDifferences.ContainsKey(name))
                {
                    disagreements.Add($"{Path.GetFileName(tree.FilePath)} {name}: run time [{string.Join(", ", runtime.Order())}], static [{string.Join(", ", found.Select(d => d.Id).Distinct().Order())}]" +
                        string.Concat(found.Select(d => Environment.NewLine + "    " + d)));
                }
            }
        }

        Assert.InRange(compared, 20, int.MaxValue);
        Assert.True(disagreements.Count == 0, "The run-time DMA-API debug checks and the static rules disagree:" + Environment.NewLine + string.Join(Environment.NewLine, disagreements));
    }

    /// <summary>The sample driver and its simulation tests as one compilation (the tests see the driver's internals).</summary>
    private static (Compilation, ImmutableArray<SyntaxTree>) CompileSimulations()
    {
        var driver = SampleDriverTests.CompileDriver();
        var folder = Path.Combine(Repository.Root, "tests", "DriverSafety.SampleDriver.Tests");
        var tests = Directory.GetFiles(folder, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .OrderBy(f => f, StringComparer.Ordinal)
            .Select(f => AnalyzerRun.Parse(File.ReadAllText(f), f))
            .ToImmutableArray();
        var compilation = driver.AddSyntaxTrees(tests).AddReferences(
            MetadataReference.CreateFromFile(typeof(FactAttribute).Assembly.Location),
            MetadataReference.CreateFromFile(typeof(Assert).Assembly.Location),
            MetadataReference.CreateFromFile(typeof(Xunit.Abstractions.ITestOutputHelper).Assembly.Location));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, "The simulation tests do not compile here:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Take(20)));
        return (compilation, tests);
    }
}
