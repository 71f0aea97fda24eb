using System.Collections.Immutable;
using DriverSafety.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Xunit;

namespace DriverSafety.Tests.Samples;

/// <summary>
/// The sample driver is the "valid code" corpus: correct driver code of real size, on which every rule must stay
/// silent. The build enforces it too (every DRV rule is an error there); this test also proves the silence is not
/// vacuous — the corpus calls annotated APIs thousands of times — and that a planted bug in it is found.
/// </summary>
public sealed class SampleDriverTests
{
    private static readonly Lazy<Compilation> Driver = new(CompileDriver);

    [Fact]
    public async Task The_analyzers_are_silent_on_the_sample_driver()
    {
        var diagnostics = await Analyze(Driver.Value);

        Assert.True(diagnostics.IsEmpty, "Findings on the sample driver (a bug in the port or a false positive):" + Environment.NewLine +
            string.Join(Environment.NewLine, diagnostics.Select(d => "  " + d)));
    }

    [Fact]
    public void The_corpus_exercises_annotated_locking_APIs()
    {
        var compilation = Driver.Value;
        var annotatedCalls = 0;
        var guardedMembers = 0;
        foreach (var tree in compilation.SyntaxTrees)
        {
            var model = compilation.GetSemanticModel(tree);
            foreach (var node in tree.GetRoot().DescendantNodes())
            {
                var operation = model.GetOperation(node);
                if (operation is IInvocationOperation invocation && HasDriverSafetyAttribute(invocation.TargetMethod))
                {
                    annotatedCalls++;
                }

                if (operation is IFieldReferenceOperation { Field: var field } && HasDriverSafetyAttribute(field))
                {
                    guardedMembers++;
                }
            }
        }

        Assert.InRange(annotatedCalls, 300, int.MaxValue);
        Assert.InRange(guardedMembers, 100, int.MaxValue);
    }

    [Fact]
    public async Task A_bug_planted_in_the_driver_is_found()
    {
        // Remove one unlock from a real function of the port: its lock then leaks at an exit.
        var compilation = Driver.Value;
        var (tree, unlock) = compilation.SyntaxTrees
            .SelectMany(t => t.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.ExpressionStatementSyntax>().Select(s => (Tree: t, Statement: s)))
            .First(p => p.Statement.ToString() == "Lock.Unlock();" || p.Statement.ToString().EndsWith(".Lock.Unlock();", StringComparison.Ordinal));
        var mutated = tree.WithRootAndOptions(tree.GetRoot().RemoveNode(unlock, Microsoft.CodeAnalysis.SyntaxRemoveOptions.KeepNoTrivia)!, tree.Options);

        var diagnostics = await Analyze(compilation.ReplaceSyntaxTree(tree, mutated));

        Assert.Contains(diagnostics, d => d.Id is "DRV1003" or "DRV1009" && d.Location.SourceTree == mutated);
    }

    [Fact]
    public async Task A_sleep_planted_with_irqs_off_in_the_driver_is_found()
    {
        // pin_user_pages_fast walks the page table with IRQs off: a sleep planted in that loop is DRV2001, with the
        // local_irq_save as the place the atomic context began.
        var compilation = Driver.Value;
        var (tree, statement) = compilation.SyntaxTrees
            .SelectMany(t => t.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.ExpressionStatementSyntax>().Select(s => (Tree: t, Statement: s)))
            .Single(p => p.Statement.ToString() == "pages[nr++] = page;");
        var planted = Microsoft.CodeAnalysis.CSharp.SyntaxFactory.ParseStatement("Sched.Msleep(1);").WithTriviaFrom(statement);
        var mutated = tree.WithRootAndOptions(tree.GetRoot().InsertNodesAfter(statement, new[] { planted }), tree.Options);

        var diagnostics = await Analyze(compilation.ReplaceSyntaxTree(tree, mutated));

        var finding = Assert.Single(diagnostics);
        Assert.Equal("DRV2001", finding.Id);
        Assert.Equal("Sched.Msleep(1)", mutated.GetText().ToString(finding.Location.SourceSpan));
        Assert.Equal("'Msleep' may sleep ([MightSleep]) while IRQs are disabled by 'Irq.LocalSave'", finding.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("Irq.LocalSave()", mutated.GetText().ToString(Assert.Single(finding.AdditionalLocations).SourceSpan));
    }

    [Fact]
    public async Task A_reclaiming_allocation_planted_under_a_reclaim_lock_is_found()
    {
        // The address space's mutex is taken by the shrinker's unbind path: a GFP_KERNEL allocation planted right after
        // the bind path takes it (the port allocates its stash before locking, as i915 does) is DRV1008.
        var compilation = Driver.Value;
        var (tree, statement) = compilation.SyntaxTrees
            .Where(t => t.FilePath.EndsWith("AddressSpace.cs", StringComparison.Ordinal))
            .SelectMany(t => t.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.ExpressionStatementSyntax>().Select(s => (Tree: t, Statement: s)))
            .First(p => p.Statement.ToString() == "Mutex.Lock();");
        var planted = Microsoft.CodeAnalysis.CSharp.SyntaxFactory.ParseStatement("Slab.Kmalloc(64, Gfp.Kernel);").WithTriviaFrom(statement);
        var mutated = tree.WithRootAndOptions(tree.GetRoot().InsertNodesAfter(statement, new[] { planted }), tree.Options);

        var diagnostics = await Analyze(compilation.ReplaceSyntaxTree(tree, mutated));

        var finding = Assert.Single(diagnostics);
        Assert.Equal("DRV1008", finding.Id);
        Assert.Equal("Slab.Kmalloc(64, Gfp.Kernel)", mutated.GetText().ToString(finding.Location.SourceSpan));
        Assert.StartsWith("'Kmalloc' may recurse into reclaim (its flags may contain Gfp.Fs|Io) while lock 'Mutex' is held: reclaim takes", finding.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Equal("Mutex.Lock()", mutated.GetText().ToString(finding.AdditionalLocations[0].SourceSpan));
    }

    private static bool HasDriverSafetyAttribute(ISymbol symbol) =>
        symbol.GetAttributes().Any(a => a.AttributeClass?.ContainingNamespace?.Name == "DriverSafety" && a.AttributeClass.ContainingNamespace.ContainingNamespace.IsGlobalNamespace);

    private static async Task<ImmutableArray<Diagnostic>> Analyze(Compilation compilation)
    {
        var (diagnostics, exceptions) = await AnalyzerRun.AnalyzeAsync(compilation);
        Assert.True(exceptions.Count == 0, "The analyzer threw on the sample driver:" + Environment.NewLine + string.Join(Environment.NewLine, exceptions));
        return diagnostics.Where(d => d.Id.StartsWith("DRV", StringComparison.Ordinal)).ToImmutableArray();
    }

    /// <summary>The sample driver (its sources and implicit usings) as one compilation; it must compile.</summary>
    internal static Compilation CompileDriver()
    {
        var folder = Path.Combine(Repository.Root, "sample-driver", "DriverSafety.SampleDriver");
        var trees = Directory.GetFiles(folder, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .OrderBy(f => f, StringComparer.Ordinal)
            .Select(f => AnalyzerRun.Parse(File.ReadAllText(f), f))
            .ToList();

        // The project's implicit usings, less System.Threading and System.IO (its Mutex, SpinLock and File would clash).
        trees.Add(AnalyzerRun.Parse(
            "global using System; global using System.Collections.Generic; global using System.Linq; global using System.Net.Http; global using System.Threading.Tasks;",
            "GlobalUsings.g.cs"));

        var compilation = AnalyzerRun.Compile("DriverSafety.SampleDriver", trees);
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, "The sample driver does not compile here:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Take(20)));
        return compilation;
    }
}
