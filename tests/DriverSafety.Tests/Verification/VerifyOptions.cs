using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;

namespace DriverSafety.Tests.Verification;

/// <summary>
/// What a <see cref="Verify"/> call may change from the default test project: one C# library (latest language version,
/// nullable enabled) holding the test source as /0/Test0.cs, <see cref="Prelude"/> beside it, and references to the
/// SDK's reference assemblies and DriverSafety.Annotations.
/// </summary>
public sealed record VerifyOptions
{
    /// <summary>The default options.</summary>
    public static VerifyOptions Default { get; } = new();

    /// <summary>More documents of the same project (/0/Test1.cs, /0/Test2.cs, ...); markup is allowed in them.</summary>
    public IReadOnlyList<string> ExtraDocuments { get; init; } = Array.Empty<string>();

    /// <summary>
    /// Code fixes: the expected text of <see cref="ExtraDocuments"/> after the fix (one entry per extra document);
    /// null when the fix leaves them as they are.
    /// </summary>
    public IReadOnlyList<string>? FixedExtraDocuments { get; init; }

    /// <summary>
    /// Documents of a second project, "Other", in the same solution (with its own prelude and references);
    /// markup is allowed in them. Used by Fix All in solution scope.
    /// </summary>
    public IReadOnlyList<string> OtherProjectDocuments { get; init; } = Array.Empty<string>();

    /// <summary>Code fixes: the expected text of <see cref="OtherProjectDocuments"/> after the fix; null when unchanged.</summary>
    public IReadOnlyList<string>? FixedOtherProjectDocuments { get; init; }

    /// <summary>The text of an .editorconfig at the root of the test project (an analyzer config document).</summary>
    public string? EditorConfig { get; init; }

    /// <summary>Additional files (<c>AdditionalFiles</c> items) of the primary project, as (path, text): external annotations files.</summary>
    public IReadOnlyList<(string Path, string Text)> AdditionalFiles { get; init; } = Array.Empty<(string, string)>();

    /// <summary>Further metadata references of the primary project: a compiled third-party library.</summary>
    public IReadOnlyList<MetadataReference> ExtraReferences { get; init; } = Array.Empty<MetadataReference>();

    /// <summary>Lets the sources have compiler errors (incomplete-code tests): no compiler diagnostic is checked.</summary>
    public bool AllowCompilerErrors { get; init; }

    /// <summary>
    /// Report DRV9003 (Info: a public member may sleep without [MightSleep]). Off unless a test asks for it or expects a
    /// DRV9003: most tests' public methods take sleeping locks, and the rule has tests of its own.
    /// </summary>
    public bool ReportUndeclaredSleep { get; init; }

    /// <summary>False: the project references no DriverSafety.Annotations and has no prelude.</summary>
    public bool ReferenceAnnotations { get; init; } = true;

    /// <summary>False: no Prelude.cs document (the annotations are still referenced unless <see cref="ReferenceAnnotations"/> is false).</summary>
    public bool IncludePrelude { get; init; } = true;

    /// <summary>Code fixes: the equivalence key of the code action to apply (each of ours is its provider's class name: "AddRequiresCodeFix", "TakeLockCodeFix", ...).</summary>
    public string? CodeActionEquivalenceKey { get; init; }

    /// <summary>Code fixes: the index of the code action to apply among those offered.</summary>
    public int? CodeActionIndex { get; init; }

    /// <summary>Code fixes: the exact title the applied code action must have.</summary>
    public string? FixedTitle { get; init; }

    /// <summary>Code fixes: how many one-at-a-time fixes reach the fixed code (null: at most one per fixable diagnostic).</summary>
    public int? NumberOfIncrementalIterations { get; init; }

    /// <summary>Code fixes: how many Fix All operations reach the Fix All result, in every scope unless a scope's own count is set.</summary>
    public int? NumberOfFixAllIterations { get; init; }

    /// <summary>Code fixes: how many Fix All in document operations reach the Fix All result.</summary>
    public int? NumberOfFixAllInDocumentIterations { get; init; }

    /// <summary>Code fixes: how many Fix All in project operations reach the Fix All result.</summary>
    public int? NumberOfFixAllInProjectIterations { get; init; }

    /// <summary>
    /// Code fixes: the expected text of the test source after Fix All, where it differs from the one-at-a-time result
    /// (Fix All gathers every lock of a method into one attribute). Null: Fix All must reach the same text.
    /// </summary>
    public string? FixAllResult { get; init; }

    /// <summary>Code fixes: the expected text of <see cref="ExtraDocuments"/> after Fix All, where it differs from <see cref="FixedExtraDocuments"/>.</summary>
    public IReadOnlyList<string>? FixAllExtraDocuments { get; init; }

    /// <summary>Code fixes: the expected text of <see cref="OtherProjectDocuments"/> after Fix All, where it differs from <see cref="FixedOtherProjectDocuments"/>.</summary>
    public IReadOnlyList<string>? FixAllOtherProjectDocuments { get; init; }

    /// <summary>Code fixes: which checks to skip (for example one Fix All scope); none by default.</summary>
    public CodeFixTestBehaviors CodeFixTestBehaviors { get; init; }
}
