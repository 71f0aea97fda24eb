using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace DriverSafety.Tests.Verification;

/// <summary>The verifier fails a test for what the rule tests rely on it to catch.</summary>
public sealed class VerifierTests
{
    private const string Leak = """
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public void Start()
            {
                {|#0:_m.Lock()|};
            {|#1:}|}
        }
        """;

    [Fact]
    public Task Additional_locations_are_checked_exactly() =>
        AssertFailsAsync(Verify.Analyzer(Leak, Verify.Diagnostic("DRV1003").WithLocation(0)), "additional locations");

    [Fact]
    public Task The_message_is_checked_exactly_when_given() =>
        AssertFailsAsync(Verify.Analyzer(Leak, Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1).WithMessage("Lock '_m' acquired here")), "message");

    [Fact]
    public Task Arguments_check_the_formatted_message() =>
        Verify.Analyzer(Leak, Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1).WithArguments("_m", "Start", "line 8", ""));

    [Fact]
    public Task An_unexpected_diagnostic_fails() =>
        AssertFailsAsync(Verify.Analyzer(Leak.Replace("{|#0:", "").Replace("{|#1:", "").Replace("|}", "")), "DRV1003");

    [Fact]
    public Task A_compiler_error_fails_unless_allowed() =>
        AssertFailsAsync(Verify.Analyzer("public sealed class Dev { public void Start() { Nothing(); } }"), "CS0103");

    [Fact]
    public Task The_editorconfig_applies_to_the_test_project() => Verify.Analyzer(
        Leak,
        new VerifyOptions { EditorConfig = "root = true\n\n[*.cs]\ndotnet_diagnostic.DRV1003.severity = error\n" },
        Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1).WithSeverity(DiagnosticSeverity.Error));

    [Fact]
    public Task A_code_fix_where_none_is_expected_fails() => AssertFailsAsync(
        Verify.CodeFix(GuardedWrite, GuardedWrite),
        "Iterative code fix application");

    private const string GuardedWrite = """
        internal sealed class Gem
        {
            public Mutex Lock = new Mutex();
            [GuardedBy("Lock")] public int Pages;

            public void Grow() { {|DRV1001:Pages|}++; }
        }
        """;

    /// <summary>An analyzer exception is reported as AD0001, which no test expects: it fails even where compiler errors are allowed.</summary>
    [Fact]
    public async Task An_analyzer_exception_fails_the_test()
    {
        var test = new CSharpAnalyzerTest<ThrowingAnalyzer, DefaultVerifier>
        {
            TestCode = "public sealed class Dev { }",
            ReferenceAssemblies = new ReferenceAssemblies("net10.0"),
            CompilerDiagnostics = CompilerDiagnostics.None,
        };
        test.TestState.AdditionalReferences.AddRange(TestReferences.Framework);

        await AssertFailsAsync(test.RunAsync(), "AD0001");
    }

    private static async Task AssertFailsAsync(Task verification, string messageContains)
    {
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => verification);
        Assert.Contains(messageContains, failure.Message, StringComparison.Ordinal);
    }

    /// <summary>An analyzer that throws on every document (no [DiagnosticAnalyzer] attribute: it is never loaded as an analyzer of a build).</summary>
#pragma warning disable RS1001 // Deliberately not an exported analyzer.
    private sealed class ThrowingAnalyzer : DiagnosticAnalyzer
#pragma warning restore RS1001
    {
#pragma warning disable RS2008 // Release tracking is for shipped rules; this one only exists in this test.
        private static readonly DiagnosticDescriptor Rule = new("TEST0001", "Test", "Test", "Test", DiagnosticSeverity.Warning, isEnabledByDefault: true);
#pragma warning restore RS2008

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterSyntaxTreeAction(_ => throw new InvalidOperationException("analyzer bug"));
        }
    }
}
