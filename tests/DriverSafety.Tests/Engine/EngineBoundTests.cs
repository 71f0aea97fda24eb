using System.Text;
using DriverSafety.Analyzers;
using DriverSafety.Analyzers.Contracts;
using DriverSafety.Analyzers.Flow;
using DriverSafety.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Xunit;

namespace DriverSafety.Tests.Engine;

/// <summary>
/// The engine's work per body is bounded and grows linearly with the body: counted in engine steps (block
/// transfers), never timed. Each pathological body is also checked for its exact findings.
/// </summary>
public sealed class EngineBoundTests
{
    [Theory]
    [InlineData(500)]
    [InlineData(3000)]
    public void Thousands_of_statements_take_a_bounded_number_of_steps(int pairs)
    {
        var body = new StringBuilder();
        for (var i = 0; i < pairs; i++)
        {
            body.AppendLine("        Lock.Lock();");
            body.AppendLine("        if (Count > " + i + ") { Count = " + i + "; }");
            body.AppendLine("        Lock.Unlock();");
        }

        var result = Run(body.ToString());

        Assert.False(result.Engine.Truncated);
        Assert.Empty(result.Diagnostics);
        Assert.InRange(result.Engine.Steps, result.Blocks, Bound(result.Blocks));
    }

    [Fact]
    public void Work_grows_linearly_with_body_size()
    {
        string Body(int n) => string.Concat(Enumerable.Range(0, n).Select(i =>
            $"        Lock.Lock(); while (Count < {i}) {{ Count++; if (Count == 7) break; }} Lock.Unlock();\n"));

        var small = Run(Body(400));
        var large = Run(Body(1600));

        Assert.Empty(small.Diagnostics);
        Assert.Empty(large.Diagnostics);

        // Four times the body: at most a little over four times the steps (the same work per block).
        var perBlockSmall = (double)small.Engine.Steps / small.Blocks;
        var perBlockLarge = (double)large.Engine.Steps / large.Blocks;
        Assert.InRange(perBlockLarge, 0, perBlockSmall * 1.1);
    }

    [Fact]
    public void Deeply_nested_loops_reach_their_fixpoint_within_the_bound()
    {
        const int depth = 40;
        var body = new StringBuilder();
        for (var i = 0; i < depth; i++)
        {
            body.AppendLine(new string(' ', 8 + i) + $"for (var i{i} = 0; i{i} < Count; i{i}++) {{");
            body.AppendLine(new string(' ', 9 + i) + "Lock.Lock(); Count++; Lock.Unlock();");
        }

        // One unbalanced acquire in the innermost loop: held on the back edge, not on entry.
        body.AppendLine(new string(' ', 8 + depth) + "Lock.Lock();");
        for (var i = depth - 1; i >= 0; i--)
        {
            body.AppendLine(new string(' ', 8 + i) + "}");
        }

        var result = Run(body.ToString());

        Assert.False(result.Engine.Truncated);
        Assert.InRange(result.Engine.Steps, result.Blocks, Bound(result.Blocks));
        var innermostAcquire = result.Source.LastIndexOf("Lock.Lock();", StringComparison.Ordinal);
        var diagnostic = Assert.Single(result.Diagnostics, d => d.Id == "DRV1009");
        Assert.Equal(innermostAcquire, diagnostic.Location.SourceSpan.Start);
    }

    [Fact]
    public void Hundreds_of_lock_statements_with_finally_regions_stay_linear()
    {
        var body = new StringBuilder();
        for (var i = 0; i < 600; i++)
        {
            body.AppendLine($"        lock (_sync) {{ Count2 += {i}; if (Count2 > {i}) return; }}");
        }

        var result = Run(body.ToString());

        Assert.False(result.Engine.Truncated);
        Assert.Empty(result.Diagnostics);
        Assert.InRange(result.Engine.Steps, result.Blocks, Bound(result.Blocks));
    }

    /// <summary>Every block runs at most <see cref="FlowEngine.MaxVisitsPerBlock"/> times in the fixpoint and once in the reporting pass.</summary>
    private static int Bound(int blocks) => (FlowEngine.MaxVisitsPerBlock + 1) * blocks;

    private static (FlowEngine Engine, int Blocks, IReadOnlyList<Diagnostic> Diagnostics, string Source) Run(string body)
    {
        var source = $$"""
            using DriverSafety;

            public sealed class Device
            {
                public Mutex Lock = new Mutex();
                private readonly object _sync = new object();
                [GuardedBy("Lock")] public int Count;
                [GuardedBy("_sync")] public int Count2;

                [MightSleep]
                public void Pathological()
                {
            {{body}}
                }
            }
            """;
        var tree = AnalyzerRun.Parse(source, "Test.cs");
        var compilation = AnalyzerRun.Compile("EngineBound", new[] { AnalyzerRun.Prelude(), tree });
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));

        var model = compilation.GetSemanticModel(tree);
        var declaration = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().Single();
        var method = model.GetDeclaredSymbol(declaration)!;
        var cfg = ControlFlowGraph.Create((IMethodBodyOperation)model.GetOperation(declaration)!);
        var analysis = new CompilationAnalysis(compilation, KnownSymbols.TryCreate(compilation)!);
        var diagnostics = new List<Diagnostic>();
        var engine = analysis.Analyze(cfg, method, declaration, diagnostics.Add, CancellationToken.None);
        var blocks = CountBlocks(cfg);
        return (engine, blocks, diagnostics, source);
    }

    private static int CountBlocks(ControlFlowGraph cfg) =>
        cfg.Blocks.Length + cfg.LocalFunctions.Sum(f => CountBlocks(cfg.GetLocalFunctionControlFlowGraph(f)));
}
