using DriverSafety.Analyzers;
using DriverSafety.CodeFixes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;

namespace DriverSafety.Tests.Verification;

/// <summary>
/// The one verifier of the rule and code-fix tests, on Microsoft.CodeAnalysis.Testing
/// (<see cref="CSharpAnalyzerTest{TAnalyzer, TVerifier}"/> and <see cref="CSharpCodeFixTest{TAnalyzer, TCodeFix, TVerifier}"/>
/// with <see cref="DefaultVerifier"/>). Markup: <c>{|DRV1003:text|}</c> expects a diagnostic of that id on <c>text</c>
/// (its additional locations unchecked); <c>{|#0:text|}</c> marks location 0 for an explicit
/// <c>Diagnostic("DRV1003").WithLocation(0).WithLocation(1)</c>, whose first location is the primary one and the rest
/// its additional locations, checked exactly. Every diagnostic, compiler error and analyzer exception (AD0001) the test
/// does not expect fails it.
/// </summary>
public static class Verify
{
    private static readonly DiagnosticDescriptor[] Descriptors = new DriverSafetyAnalyzer().SupportedDiagnostics.ToArray();

    /// <summary>
    /// The SDK's reference assemblies come as <see cref="TestReferences.Framework"/> (additional references): no package
    /// is named here, so nothing is ever downloaded or restored at test time.
    /// </summary>
    private static readonly ReferenceAssemblies NoPackages = new("net10.0");

    /// <summary>
    /// A diagnostic of one of our rules (its default severity), to chain <c>.WithLocation</c>, <c>.WithArguments</c> or
    /// <c>.WithMessage</c>. Its message is checked when the test gives the arguments or the message, and not otherwise.
    /// </summary>
    public static DiagnosticResult Diagnostic(string id) =>
        new(Descriptors.SingleOrDefault(d => d.Id == id) ?? throw new ArgumentException($"'{id}' is not a rule of DriverSafetyAnalyzer.", nameof(id)));

    /// <summary>Analyses <paramref name="source"/> (with the prelude) and checks the diagnostics marked in it plus <paramref name="expected"/>.</summary>
    public static Task Analyzer(string source, params DiagnosticResult[] expected) =>
        Analyzer(source, VerifyOptions.Default, expected);

    /// <summary>Analyses <paramref name="source"/> in the project <paramref name="options"/> describes and checks every diagnostic.</summary>
    public static Task Analyzer(string source, VerifyOptions options, params DiagnosticResult[] expected)
    {
        var test = new AnalyzerTest();
        AddSources(test.TestState, source, options.ExtraDocuments, options.OtherProjectDocuments, options);
        test.ExpectedDiagnostics.AddRange(expected.Select(MessageCheckedOnlyWhenGiven));
        test.CompilerDiagnostics = options.AllowCompilerErrors ? CompilerDiagnostics.None : CompilerDiagnostics.Errors;
        DisableUndeclaredSleep(test.DisabledDiagnostics, source, options, expected);
        return test.RunAsync();
    }

    /// <summary>
    /// Applies the "Add [Requires]" code fix to <paramref name="before"/> one diagnostic at a time, re-analysing after each fix, until
    /// <paramref name="after"/>; then Fix All in document, project and solution scope must reach <paramref name="after"/> too.
    /// <c>CodeFix(source, source, ...)</c> checks that no fix is offered.
    /// </summary>
    public static Task CodeFix(string before, string after, params DiagnosticResult[] expected) =>
        CodeFix<AddRequiresCodeFix>(before, after, VerifyOptions.Default, expected);

    /// <summary>As <see cref="CodeFix(string, string, DiagnosticResult[])"/>, in the project and with the checks <paramref name="options"/> describes.</summary>
    public static Task CodeFix(string before, string after, VerifyOptions options, params DiagnosticResult[] expected) =>
        CodeFix<AddRequiresCodeFix>(before, after, options, expected);

    /// <summary>As <see cref="CodeFix(string, string, DiagnosticResult[])"/>, with the code fix <typeparamref name="TCodeFix"/>.</summary>
    public static Task CodeFix<TCodeFix>(string before, string after, params DiagnosticResult[] expected)
        where TCodeFix : CodeFixProvider, new() =>
        CodeFix<TCodeFix>(before, after, VerifyOptions.Default, expected);

    /// <summary>As <see cref="CodeFix(string, string, VerifyOptions, DiagnosticResult[])"/>, with the code fix <typeparamref name="TCodeFix"/>.</summary>
    public static Task CodeFix<TCodeFix>(string before, string after, VerifyOptions options, params DiagnosticResult[] expected)
        where TCodeFix : CodeFixProvider, new()
    {
        var test = new CodeFixTest<TCodeFix>
        {
            CodeActionEquivalenceKey = options.CodeActionEquivalenceKey,
            CodeActionIndex = options.CodeActionIndex,
            NumberOfIncrementalIterations = options.NumberOfIncrementalIterations,
            NumberOfFixAllIterations = options.NumberOfFixAllIterations,
            NumberOfFixAllInDocumentIterations = options.NumberOfFixAllInDocumentIterations,
            NumberOfFixAllInProjectIterations = options.NumberOfFixAllInProjectIterations,
            CodeFixTestBehaviors = options.CodeFixTestBehaviors,
            CompilerDiagnostics = options.AllowCompilerErrors ? CompilerDiagnostics.None : CompilerDiagnostics.Errors,
        };
        if (options.FixedTitle is { } title)
        {
            test.CodeActionVerifier = (action, verifier) => verifier.Equal(title, action.Title, "The code action's title differs.");
        }

        AddSources(test.TestState, before, options.ExtraDocuments, options.OtherProjectDocuments, options);
        var fixedExtras = options.FixedExtraDocuments ?? options.ExtraDocuments;
        var fixedOthers = options.FixedOtherProjectDocuments ?? options.OtherProjectDocuments;
        AddSources(test.FixedState, after, fixedExtras, fixedOthers, options);
        if (options.FixAllResult is not null || options.FixAllExtraDocuments is not null || options.FixAllOtherProjectDocuments is not null)
        {
            AddSources(
                test.BatchFixedState,
                options.FixAllResult ?? after,
                options.FixAllExtraDocuments ?? fixedExtras,
                options.FixAllOtherProjectDocuments ?? fixedOthers,
                options);
        }

        test.ExpectedDiagnostics.AddRange(expected.Select(MessageCheckedOnlyWhenGiven));
        DisableUndeclaredSleep(test.DisabledDiagnostics, before, options, expected);
        return test.RunAsync();
    }

    private static void DisableUndeclaredSleep(List<string> disabled, string source, VerifyOptions options, DiagnosticResult[] expected)
    {
        if (!options.ReportUndeclaredSleep && !expected.Any(e => e.Id == "DRV9003") && !source.Contains("DRV9003", StringComparison.Ordinal))
        {
            disabled.Add("DRV9003");
        }
    }

    /// <summary>
    /// A result made from a descriptor carries its message format: without arguments the framework would compare the
    /// unformatted format with the message. Such a result checks no message instead.
    /// </summary>
    private static DiagnosticResult MessageCheckedOnlyWhenGiven(DiagnosticResult result) =>
        result.MessageFormat is { } format && result.MessageArguments is not { Length: > 0 } && result.Message == format.ToString()
            ? result.WithMessage(null)
            : result;

    /// <summary>
    /// Fills one state (test, fixed or Fix All) of the solution: the primary project TestProject (/0/Test0.cs, extras,
    /// prelude, .editorconfig) and, when there are documents for it, the project Other.
    /// </summary>
    private static void AddSources(SolutionState state, string source, IReadOnlyList<string> extras, IReadOnlyList<string> others, VerifyOptions options)
    {
        state.Sources.Add(source);
        foreach (var extra in extras)
        {
            state.Sources.Add(extra);
        }

        AddProjectBasics(state, options);
        if (others.Count > 0)
        {
            var other = new ProjectState("Other", LanguageNames.CSharp, "/Other/Test", "cs");
            for (var i = 0; i < others.Count; i++)
            {
                other.Sources.Add(($"/Other/Test{i}.cs", others[i]));
            }

            AddProjectBasics(other, options);
            state.AdditionalProjects.Add("Other", other);
        }
    }

    private static void AddProjectBasics(ProjectState project, VerifyOptions options)
    {
        var folder = project is SolutionState ? "/0" : "/Other";
        project.AdditionalReferences.AddRange(TestReferences.Framework);
        if (options.ReferenceAnnotations)
        {
            project.AdditionalReferences.Add(TestReferences.Annotations);
            if (options.IncludePrelude)
            {
                project.Sources.Add(($"{folder}/{Prelude.FileName}", Prelude.Source));
            }
        }

        if (project is SolutionState)
        {
            project.AdditionalFiles.AddRange(options.AdditionalFiles.Select(f => (f.Path, Microsoft.CodeAnalysis.Text.SourceText.From(f.Text))));
            project.AdditionalReferences.AddRange(options.ExtraReferences);
        }

        if (options.EditorConfig is { } editorConfig)
        {
            project.AnalyzerConfigFiles.Add(($"/.editorconfig", editorConfig));
        }
    }

    /// <summary>The options every test shares: C# latest, nullable enabled, no unsafe code, and no re-runs that add nothing here.</summary>
    private static void Configure<TVerifier>(AnalyzerTest<TVerifier> test)
        where TVerifier : IVerifier, new()
    {
        test.ReferenceAssemblies = NoPackages;

        // The analyzer configures generated-code analysis itself (so the framework skips that re-run anyway), and it
        // reports through the compiler's ordinary pipeline, where #pragma warning disable applies to every analyzer alike.
        test.TestBehaviors = TestBehaviors.SkipGeneratedCodeCheck | TestBehaviors.SkipSuppressionCheck;
        test.SolutionTransforms.Add((solution, _) =>
        {
            foreach (var project in solution.Projects.ToList())
            {
                var compilation = (CSharpCompilationOptions)project.CompilationOptions!;
                var parse = (CSharpParseOptions)project.ParseOptions!;
                solution = solution
                    .WithProjectCompilationOptions(project.Id, compilation
                        .WithOutputKind(OutputKind.DynamicallyLinkedLibrary)
                        .WithNullableContextOptions(NullableContextOptions.Enable)
                        .WithAllowUnsafe(false))
                    .WithProjectParseOptions(project.Id, parse.WithLanguageVersion(LanguageVersion.Latest).WithDocumentationMode(DocumentationMode.Parse));
            }

            return solution;
        });
    }

    /// <summary>
    /// The framework enables every rule of the analyzer by a compilation-wide "default severity" entry, which would
    /// shadow a severity set in the test's .editorconfig; our rules are all enabled by default, so those entries go.
    /// </summary>
    private static Project WithoutDefaultSeverityEntries(Project project)
    {
        var options = project.CompilationOptions!;
        var defaults = options.SpecificDiagnosticOptions.Where(entry => entry.Value == ReportDiagnostic.Default).Select(entry => entry.Key);
        return project.WithCompilationOptions(options.WithSpecificDiagnosticOptions(options.SpecificDiagnosticOptions.RemoveRange(defaults)));
    }

    private sealed class AnalyzerTest : CSharpAnalyzerTest<DriverSafetyAnalyzer, DefaultVerifier>
    {
        public AnalyzerTest() => Configure(this);

        protected override Project ApplyCompilationOptions(Project project) => WithoutDefaultSeverityEntries(base.ApplyCompilationOptions(project));
    }

    private sealed class CodeFixTest<TCodeFix> : CSharpCodeFixTest<DriverSafetyAnalyzer, TCodeFix, DefaultVerifier>
        where TCodeFix : CodeFixProvider, new()
    {
        public CodeFixTest() => Configure(this);

        protected override Project ApplyCompilationOptions(Project project) => WithoutDefaultSeverityEntries(base.ApplyCompilationOptions(project));
    }
}
