using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;

namespace DriverSafety.Tests.Verification;

/// <summary>
/// Code-fix verification on the same <see cref="TestProject"/>: the analyzer's diagnostics in Test0.cs are fixed one
/// at a time (re-analysing after each fix, as a user clicking the light bulb would) or all at once through the fix's
/// FixAll provider, and the resulting document must equal the expected source exactly and still compile.
/// </summary>
public static class VerifyFix<TAnalyzer, TCodeFix>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TCodeFix : CodeFixProvider, new()
{
    private const int MaxIterations = 20;

    /// <summary>Applies the first offered fix to the first fixable diagnostic until none is left.</summary>
    public static async Task OneByOneAsync(string source, string expected, string? expectedTitle = null)
    {
        var fix = new TCodeFix();
        var document = Document(source);
        var applied = 0;
        for (; applied < MaxIterations; applied++)
        {
            var diagnostic = (await FixableAsync(document, fix)).FirstOrDefault();
            if (diagnostic is null)
            {
                break;
            }

            var actions = new List<CodeAction>();
            await fix.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), CancellationToken.None));
            if (actions.Count == 0)
            {
                break;
            }

            if (applied == 0 && expectedTitle is not null)
            {
                Assert.Equal(expectedTitle, actions[0].Title);
            }

            document = await ApplyAsync(document, actions[0]);
        }

        Assert.True(applied > 0, "The code fix offered nothing for the source's diagnostics.");
        await AssertResultAsync(document, expected);
    }

    /// <summary>Fixes every fixable diagnostic of the document in one FixAll operation.</summary>
    public static async Task FixAllAsync(string source, string expected)
    {
        var fix = new TCodeFix();
        var document = Document(source);
        var diagnostics = await FixableAsync(document, fix);
        Assert.NotEmpty(diagnostics);

        var actions = new List<CodeAction>();
        await fix.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostics[0], (action, _) => actions.Add(action), CancellationToken.None));
        Assert.NotEmpty(actions);

        var provider = fix.GetFixAllProvider();
        Assert.NotNull(provider);
        var context = new FixAllContext(
            document,
            fix,
            FixAllScope.Document,
            actions[0].EquivalenceKey!,
            fix.FixableDiagnosticIds,
            new FixedDiagnostics(diagnostics),
            CancellationToken.None);
        var action = await provider!.GetFixAsync(context);
        Assert.NotNull(action);
        await AssertResultAsync(await ApplyAsync(document, action!), expected);
    }

    private static Document Document(string source) =>
        TestProject.Create(new[] { source }, referenceAnnotations: true, includePrelude: true).Documents.Single(d => d.Name == TestProject.DocumentName(0));

    private static async Task<ImmutableArray<Diagnostic>> FixableAsync(Document document, CodeFixProvider fix)
    {
        var compilation = await TestProject.CompileAsync(document.Project, allowCompilerErrors: false);
        var tree = await document.GetSyntaxTreeAsync();
        var diagnostics = await compilation
            .WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new TAnalyzer()))
            .GetAnalyzerDiagnosticsAsync();
        return diagnostics
            .Where(d => d.Location.SourceTree == tree && fix.FixableDiagnosticIds.Contains(d.Id))
            .OrderBy(d => d.Location.SourceSpan.Start)
            .ToImmutableArray();
    }

    private static async Task<Document> ApplyAsync(Document document, CodeAction action)
    {
        var operations = await action.GetOperationsAsync(CancellationToken.None);
        var changed = operations.OfType<ApplyChangesOperation>().Single().ChangedSolution;
        return changed.GetDocument(document.Id)!;
    }

    private static async Task AssertResultAsync(Document document, string expected)
    {
        var actual = (await document.GetTextAsync()).ToString();
        Assert.Equal(expected.ReplaceLineEndings("\n"), actual.ReplaceLineEndings("\n"));
        await TestProject.CompileAsync(document.Project, allowCompilerErrors: false);
    }

    private sealed class FixedDiagnostics : FixAllContext.DiagnosticProvider
    {
        private readonly ImmutableArray<Diagnostic> _diagnostics;

        public FixedDiagnostics(ImmutableArray<Diagnostic> diagnostics) => _diagnostics = diagnostics;

        public override Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            Task.FromResult<IEnumerable<Diagnostic>>(_diagnostics);

        public override Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken) =>
            Task.FromResult<IEnumerable<Diagnostic>>(_diagnostics);

        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            Task.FromResult<IEnumerable<Diagnostic>>(ImmutableArray<Diagnostic>.Empty);
    }
}
