using System.Collections.Immutable;
using System.Globalization;
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
using Xunit.Abstractions;

namespace DriverSafety.Tests.Robustness;

/// <summary>
/// The torture suite: every C# shape of <see cref="TortureShapes"/> and the generated pathological ones is analysed
/// with all four families on: no exception, the exact findings (id and span), and every body's engine steps within
/// the engine's bound (counted, not timed: at most <see cref="FlowEngine.MaxVisitsPerBlock"/> + 1 transfers per block).
/// </summary>
public sealed class TortureTests
{
    private readonly ITestOutputHelper _output;

    public TortureTests(ITestOutputHelper output) => _output = output;

    public static IEnumerable<object[]> Shapes() => TortureShapes.All.Select(s => new object[] { s.Name });

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task Each_shape_gives_exactly_its_findings_within_the_step_bound(string name)
    {
        var source = TortureShapes.All.Single(s => s.Name == name).Source;
        await CheckAsync(source, OutputKind.DynamicallyLinkedLibrary);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task Each_shape_without_annotations_is_walked_and_silent(string name)
    {
        // The same shapes with the lock types and members stripped of every DriverSafety attribute (the annotations are
        // still referenced, so the analysis runs and walks every body): nothing to check, nothing reported.
        var (source, _) = Markup.Parse(TortureShapes.All.Single(s => s.Name == name).Source);
        var bare = System.Text.RegularExpressions.Regex.Replace(source, @"\[(GuardedBy|Requires)\(""[^""]*""\)\]\s*", "");
        var prelude = System.Text.RegularExpressions.Regex.Replace(Prelude.Source, @"\[(LockType|Acquires|Releases|TryAcquires|AssertsHeld|LockGuard|AcquireContext)(\([^)]*\))?\]\s*", "");
        Assert.DoesNotContain("[", prelude.Replace("[]", "", StringComparison.Ordinal), StringComparison.Ordinal);
        var tree = AnalyzerRun.Parse(bare, "Test0.cs");
        var compilation = AnalyzerRun.Compile("Bare", new[] { AnalyzerRun.Parse(prelude, Prelude.FileName), tree })
            .WithOptions(new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true));
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));

        var (diagnostics, exceptions) = await AnalyzerRun.AnalyzeAsync(compilation);

        Assert.Empty(exceptions);
        Assert.Empty(diagnostics);
        var (bodies, _, _) = StepBounds.WalkEveryBody(compilation, tree);
        Assert.InRange(bodies, 1, int.MaxValue);
    }

    [Fact]
    public async Task A_lock_held_across_await_or_yield_is_not_a_finding_today()
    {
        // What the analyzer reports for a Mutex held across an await (the continuation may run on another thread, and a
        // Monitor-based lock would throw there) and across a yield return: nothing. The walk treats await and yield as
        // ordinary operations: the lock stays held through them, the guarded accesses after them are accepted, and
        // the release at the end balances the acquire. There is no "held across await" rule in the catalog (SPEC §5).
        await CheckAsync("""
            using System.Collections.Generic;

            internal sealed class Worker
            {
                private readonly Mutex _m = new Mutex();
                private readonly SpinLock _s = new SpinLock();
                [GuardedBy("_m")] private int _n;

                public async Task HeldAcrossAwait()
                {
                    _m.Lock();
                    await Task.Yield();
                    _n++;
                    _m.Unlock();
                }

                public async Task SpinningAcrossAwait()
                {
                    _s.Lock();
                    await Task.Delay(1);
                    _s.Unlock();
                }

                public IEnumerable<int> HeldAcrossYield()
                {
                    _m.Lock();
                    yield return _n;
                    _m.Unlock();
                }

                public async Task LeakAfterAwait(bool fail)
                {
                    {|DRV1003:_m.Lock()|};
                    await Task.Yield();
                    if (fail) return;
                    _m.Unlock();
                }
            }
            """, OutputKind.DynamicallyLinkedLibrary);
    }

    [Fact]
    public async Task Top_level_statements()
    {
        await CheckAsync("""
            var m = new Mutex();
            m.Lock();
            Counter.N++;
            m.Unlock();
            {|DRV1001:Counter.Guarded|} = 1;
            Counter.Lock.Lock();
            Counter.Guarded = 2;
            Counter.Lock.Unlock();

            static class Counter
            {
                public static readonly Mutex Lock = new Mutex();
                public static int N;
                [GuardedBy("Lock")] public static int Guarded;
            }
            """, OutputKind.ConsoleApplication);
    }

    [Fact]
    public async Task A_200_deep_call_chain()
    {
        // F0 calls F1 ... calls F199, which touches a guarded field: the requirement travels up the whole chain.
        var source = new StringBuilder("internal sealed class Chain\n{\n    public readonly Mutex M = new Mutex();\n    [GuardedBy(\"M\")] public int N;\n");
        source.AppendLine("    public void Top() { M.Lock(); F0(); M.Unlock(); }");
        source.AppendLine("    public void Bare() { {|DRV1002:F0()|}; }");
        for (var i = 0; i < 199; i++)
        {
            source.AppendLine(CultureInfo.InvariantCulture, $"    [Requires(\"M\")] private void F{i}() => F{i + 1}();");
        }

        source.AppendLine("    [Requires(\"M\")] private void F199() => N++;\n}");
        await CheckAsync(source.ToString(), OutputKind.DynamicallyLinkedLibrary);
    }

    [Fact]
    public async Task A_200_deep_unannotated_call_chain()
    {
        var source = new StringBuilder("internal sealed class Chain\n{\n    public readonly Mutex M = new Mutex();\n    [GuardedBy(\"M\")] public int N;\n");
        source.AppendLine("    public void Top() { M.Lock(); F0(); M.Unlock(); }");
        for (var i = 0; i < 199; i++)
        {
            source.AppendLine(CultureInfo.InvariantCulture, $"    private void F{i}() => F{i + 1}();");
        }

        source.AppendLine("    private void F199() => {|DRV1001:N|}++;\n}");
        await CheckAsync(source.ToString(), OutputKind.DynamicallyLinkedLibrary);
    }

    [Fact]
    public async Task A_5000_statement_method()
    {
        var body = new StringBuilder();
        for (var i = 0; i < 1000; i++)
        {
            body.AppendLine("        _m.Lock();");
            body.AppendLine(CultureInfo.InvariantCulture, $"        _n += {i};");
            body.AppendLine(CultureInfo.InvariantCulture, $"        if (_n > {i}) _n = {i} switch {{ > 5 => 1, _ => 2 }};");
            body.AppendLine("        _m.Unlock();");
            body.AppendLine(CultureInfo.InvariantCulture, $"        x = x * 3 + {i};");
        }

        var source = $$"""
            internal sealed class Big
            {
                private readonly Mutex _m = new Mutex();
                [GuardedBy("_m")] private int _n;

                public int Long(int x)
                {
            {{body}}
                    return x + {|DRV1001:_n|};
                }
            }
            """;
        var steps = await CheckAsync(source, OutputKind.DynamicallyLinkedLibrary);
        Assert.InRange(steps, 5000, int.MaxValue);
    }

    [Fact]
    public async Task Forty_nested_loops_of_every_kind()
    {
        var body = new StringBuilder();
        for (var i = 0; i < 40; i++)
        {
            body.AppendLine((i % 4) switch
            {
                0 => $"for (var i{i} = 0; i{i} < k; i{i}++) {{",
                1 => $"foreach (var i{i} in items) {{",
                2 => $"while (k > {i}) {{ k--;",
                _ => "do {",
            });
        }

        body.AppendLine("_m.Lock(); _n++; _m.Unlock(); if (k == 3) goto end;");
        for (var i = 39; i >= 0; i--)
        {
            body.AppendLine(i % 4 == 3 ? $"}} while (k-- > {i});" : "}");
        }

        var source = $$"""
            internal sealed class Nest
            {
                private readonly Mutex _m = new Mutex();
                [GuardedBy("_m")] private int _n;

                public int Deep(int k, int[] items)
                {
            {{body}}
                end:
                    return {|DRV1001:_n|};
                }
            }
            """;
        await CheckAsync(source, OutputKind.DynamicallyLinkedLibrary);
    }

    /// <summary>
    /// Compiles <paramref name="marked"/> (markup removed) beside the prelude, checks the analyzer's findings against
    /// the markup exactly, then walks every body once more with the engine directly: not truncated, within the bound.
    /// Returns the total steps.
    /// </summary>
    private async Task<int> CheckAsync(string marked, OutputKind kind)
    {
        var (source, expected) = Markup.Parse(marked);
        var tree = AnalyzerRun.Parse(source, "Test0.cs");
        var compilation = AnalyzerRun.Compile("Torture", new[] { AnalyzerRun.Prelude(), tree }).WithOptions(
            new CSharpCompilationOptions(kind, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true));
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));

        var (diagnostics, exceptions) = await AnalyzerRun.AnalyzeAsync(compilation);
        Assert.True(exceptions.Count == 0, string.Join(Environment.NewLine, exceptions));
        var actual = diagnostics.Select(d => (d.Id, Text: source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length), d.Location.SourceSpan.Start))
            .OrderBy(d => d.Start).Select(d => $"{d.Id} at {d.Start} '{d.Text}'").ToList();
        var wanted = expected.OrderBy(d => d.Start).Select(d => $"{d.Id} at {d.Start} '{source.Substring(d.Start, d.End - d.Start)}'").ToList();
        foreach (var d in diagnostics)
        {
            _output.WriteLine($"{d.Id} {d.Location.GetLineSpan().StartLinePosition} {d.GetMessage(CultureInfo.InvariantCulture)}");
        }

        Assert.Equal(wanted, actual);

        var (bodies, steps, maxSteps) = StepBounds.WalkEveryBody(compilation, tree);
        _output.WriteLine($"{bodies} bodies, {steps} steps, at most {maxSteps} in one body");
        Assert.InRange(bodies, 1, int.MaxValue);
        return steps;
    }
}

/// <summary><c>{|ID:text|}</c> markup: the source without it and the marked spans.</summary>
internal static class Markup
{
    public static (string Source, IReadOnlyList<(string Id, int Start, int End)> Spans) Parse(string marked)
    {
        var source = new StringBuilder();
        var open = new Stack<(string Id, int Start)>();
        var spans = new List<(string, int, int)>();
        for (var i = 0; i < marked.Length; i++)
        {
            if (marked[i] == '{' && i + 1 < marked.Length && marked[i + 1] == '|')
            {
                var colon = marked.IndexOf(':', i);
                open.Push((marked.Substring(i + 2, colon - i - 2), source.Length));
                i = colon;
            }
            else if (marked[i] == '|' && i + 1 < marked.Length && marked[i + 1] == '}' && open.Count > 0)
            {
                var (id, start) = open.Pop();
                spans.Add((id, start, source.Length));
                i++;
            }
            else
            {
                source.Append(marked[i]);
            }
        }

        return (source.ToString(), spans);
    }
}

/// <summary>Every executable body of a tree walked by the engine directly, for its step count.</summary>
internal static class StepBounds
{
    public static (int Bodies, int Steps, int MaxSteps) WalkEveryBody(Compilation compilation, SyntaxTree tree)
    {
        var model = compilation.GetSemanticModel(tree);
        var analysis = new CompilationAnalysis(compilation, KnownSymbols.TryCreate(compilation)!);
        int bodies = 0, steps = 0, max = 0;
        foreach (var node in tree.GetRoot().DescendantNodesAndSelf())
        {
            var (symbol, operation) = node switch
            {
                BaseMethodDeclarationSyntax or AccessorDeclarationSyntax => (model.GetDeclaredSymbol(node) as IMethodSymbol, model.GetOperation(node)),
                PropertyDeclarationSyntax { ExpressionBody: { } arrow } p => ((model.GetDeclaredSymbol(p) as IPropertySymbol)?.GetMethod, model.GetOperation(arrow)),
                IndexerDeclarationSyntax { ExpressionBody: { } arrow } p => ((model.GetDeclaredSymbol(p) as IPropertySymbol)?.GetMethod, model.GetOperation(arrow)),
                CompilationUnitSyntax unit when unit.Members.OfType<GlobalStatementSyntax>().Any() => (compilation.GetEntryPoint(default), model.GetOperation(unit)),
                _ => (null, null),
            };
            if (symbol is null || operation is null || operation.Parent is not null)
            {
                continue;
            }

            var cfg = operation switch
            {
                IMethodBodyOperation body => ControlFlowGraph.Create(body),
                IConstructorBodyOperation body => ControlFlowGraph.Create(body),
                IBlockOperation block => ControlFlowGraph.Create(block),
                _ => null,
            };
            if (cfg is null)
            {
                continue;
            }

            var engine = analysis.Analyze(cfg, symbol, node, _ => { }, CancellationToken.None);
            var blocks = CountBlocks(cfg);
            Assert.False(engine.Truncated, $"{symbol} truncated");
            Assert.InRange(engine.Steps, 1, (FlowEngine.MaxVisitsPerBlock + 1) * blocks);
            bodies++;
            steps += engine.Steps;
            max = Math.Max(max, engine.Steps);
        }

        return (bodies, steps, max);
    }

    private static int CountBlocks(ControlFlowGraph cfg) =>
        cfg.Blocks.Length + cfg.LocalFunctions.Sum(f => CountBlocks(cfg.GetLocalFunctionControlFlowGraph(f)));
}
