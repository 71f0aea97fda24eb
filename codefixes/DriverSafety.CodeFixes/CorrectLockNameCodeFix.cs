using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DriverSafety.Analyzers.Contracts;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DriverSafety.CodeFixes
{
    /// <summary>
    /// DRV9001 on <c>[GuardedBy]</c>, <c>[Requires]</c>, <c>[Acquires]</c>, <c>[TryAcquires]</c>, <c>[Releases]</c>,
    /// <c>[Excludes]</c> and <c>[AssertsHeld]</c>: a lock expression that names nothing is, most often, a typo. The
    /// segment that does not resolve is replaced by the closest name that makes the whole expression resolve to a lock —
    /// a field or property of the type it is looked up in, or (first segment) a parameter of the method — within edit
    /// distance 2 or equal but for case; one action per candidate, closest first, at most three. Fix All applies each
    /// finding's closest candidate.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CorrectLockNameCodeFix))]
    [Shared]
    public sealed class CorrectLockNameCodeFix : CodeFixProvider
    {
        /// <summary>The equivalence key of the closest candidate; the others are this key followed by ".2" and ".3".</summary>
        public const string EquivalenceKey = nameof(CorrectLockNameCodeFix);

        private const int MaxCandidates = 3;
        private const int MaxDistance = 2;

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create("DRV9001");

        public override FixAllProvider GetFixAllProvider() => FixAllProvider.Create(FixAllInDocumentAsync);

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            foreach (var diagnostic in context.Diagnostics)
            {
                var claimed = new HashSet<LiteralExpressionSyntax>();
                if (await CandidatesAsync(context.Document, diagnostic, claimed, context.CancellationToken).ConfigureAwait(false) is not { } found)
                {
                    continue;
                }

                for (var i = 0; i < found.Candidates.Count; i++)
                {
                    var replacement = found.Candidates[i];
                    var key = i == 0 ? EquivalenceKey : EquivalenceKey + "." + (i + 1).ToString(CultureInfo.InvariantCulture);
                    context.RegisterCodeFix(
                        CodeAction.Create($"Change '{found.Literal.Token.ValueText}' to '{replacement}'", ct => ReplaceAsync(context.Document, new[] { (found.Literal, replacement) }, ct), key),
                        diagnostic);
                }
            }
        }

        private static async Task<Document?> FixAllInDocumentAsync(FixAllContext context, Document document, ImmutableArray<Diagnostic> diagnostics)
        {
            var index = 0;
            if (context.CodeActionEquivalenceKey is { } key && key.StartsWith(EquivalenceKey + ".", StringComparison.Ordinal))
            {
                index = int.Parse(key.Substring(EquivalenceKey.Length + 1), CultureInfo.InvariantCulture) - 1;
            }

            var claimed = new HashSet<LiteralExpressionSyntax>();
            var edits = new List<(LiteralExpressionSyntax, string)>();
            foreach (var diagnostic in diagnostics.OrderBy(d => d.Location.SourceSpan.Start))
            {
                if (await CandidatesAsync(document, diagnostic, claimed, context.CancellationToken).ConfigureAwait(false) is { } found && index < found.Candidates.Count)
                {
                    edits.Add((found.Literal, found.Candidates[index]));
                }
            }

            return edits.Count == 0 ? null : await ReplaceAsync(document, edits, context.CancellationToken).ConfigureAwait(false);
        }

        private static async Task<Document> ReplaceAsync(Document document, IReadOnlyList<(LiteralExpressionSyntax Literal, string Text)> edits, CancellationToken cancellation)
        {
            var root = await document.GetSyntaxRootAsync(cancellation).ConfigureAwait(false);
            if (root is null)
            {
                return document;
            }

            var byToken = edits.ToDictionary(e => e.Literal.Token, e => e.Text);
            return document.WithSyntaxRoot(root.ReplaceTokens(byToken.Keys, (original, _) =>
                SyntaxFactory.Literal(original.LeadingTrivia, SymbolDisplay.FormatLiteral(byToken[original], quote: true), byToken[original], original.TrailingTrivia)));
        }

        /// <summary>
        /// The string literal the finding is about (the first unclaimed one of the attribute's lock expressions that does
        /// not resolve and that its message names) and the names that would make it resolve.
        /// </summary>
        private static async Task<Found?> CandidatesAsync(Document document, Diagnostic diagnostic, HashSet<LiteralExpressionSyntax> claimed, CancellationToken cancellation)
        {
            var root = await document.GetSyntaxRootAsync(cancellation).ConfigureAwait(false);
            var model = await document.GetSemanticModelAsync(cancellation).ConfigureAwait(false);
            if (root is null || model is null || Support.FixContracts.Known(document, model.Compilation, cancellation) is not { } known ||
                root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<AttributeSyntax>() is not { } attribute ||
                model.GetSymbolInfo(attribute, cancellation).Symbol is not IMethodSymbol { ContainingType: { } attributeType } ||
                Annotated(model, attribute, cancellation) is not { } annotated)
            {
                return null;
            }

            var first = attributeType.Equals(known.TryAcquires, SymbolEqualityComparer.Default) ? 1
                : new[] { known.GuardedBy, known.Requires, known.Acquires, known.Releases, known.Excludes, known.AssertsHeld }.Any(t => attributeType.Equals(t, SymbolEqualityComparer.Default)) ? 0
                : -1;
            if (first < 0 || attribute.ArgumentList is null)
            {
                return null;
            }

            var resolver = new ContractProvider(model.Compilation, known).Resolver;
            var message = diagnostic.GetMessage(CultureInfo.InvariantCulture);
            var at = attribute.GetReference();
            foreach (var literal in attribute.ArgumentList.Arguments.Where(a => a.NameEquals is null && a.NameColon is null).Skip(first)
                .Select(a => a.Expression).OfType<LiteralExpressionSyntax>().Where(l => l.IsKind(SyntaxKind.StringLiteralExpression)))
            {
                var text = literal.Token.ValueText;
                if (claimed.Contains(literal) || !message.Contains("'" + text.Trim() + "'") ||
                    resolver.Resolve(text, annotated, requireLock: true, allowReturn: false, out var problem, out _, at) is not null || problem != ProblemKind.DoesNotResolve)
                {
                    continue;
                }

                claimed.Add(literal);
                var candidates = Correct(text.Trim(), annotated, resolver, at);
                return candidates.Count == 0 ? null : new Found(literal, candidates);
            }

            return null;
        }

        /// <summary>The annotated member: a method, constructor, property, indexer, delegate type, or the field a declaration declares.</summary>
        private static ISymbol? Annotated(SemanticModel model, AttributeSyntax attribute, CancellationToken cancellation)
        {
            if (attribute.Parent is not AttributeListSyntax { Target: null } list)
            {
                return null;
            }

            return list.Parent switch
            {
                BaseFieldDeclarationSyntax field when field.Declaration.Variables.Count > 0 => model.GetDeclaredSymbol(field.Declaration.Variables[0], cancellation),
                MemberDeclarationSyntax member => model.GetDeclaredSymbol(member, cancellation),
                AccessorDeclarationSyntax accessor => model.GetDeclaredSymbol(accessor, cancellation),
                _ => null,
            };
        }

        /// <summary>Corrections of the first segment that does not resolve, closest first.</summary>
        private static IReadOnlyList<string> Correct(string text, ISymbol annotated, LockExpressionResolver resolver, SyntaxReference at)
        {
            var segments = text.Split('.').Select(s => s.Trim()).ToArray();
            var broken = 0;
            while (broken < segments.Length - 1 && resolver.Resolve(string.Join(".", segments.Take(broken + 1)), annotated, requireLock: false, allowReturn: false, out _, out _, at) is not null)
            {
                broken++;
            }

            var names = new HashSet<string>(StringComparer.Ordinal);
            if (broken == 0)
            {
                var method = annotated as IMethodSymbol ?? (annotated as INamedTypeSymbol)?.DelegateInvokeMethod;
                foreach (var parameter in method?.Parameters ?? ImmutableArray<IParameterSymbol>.Empty)
                {
                    names.Add(parameter.Name);
                }

                AddMembers(annotated as INamedTypeSymbol ?? annotated.ContainingType, names);
            }
            else if (resolver.Resolve(string.Join(".", segments.Take(broken)), annotated, requireLock: false, allowReturn: false, out _, out _, at) is { } prefix)
            {
                AddMembers(TypeOf(prefix, annotated), names);
            }

            var wrong = segments[broken];
            return names
                .Where(n => n != wrong)
                .Select(n => (Name: n, Distance: string.Equals(n, wrong, StringComparison.OrdinalIgnoreCase) ? 0 : Distance(n, wrong)))
                .Where(c => c.Distance <= MaxDistance)
                .Select(c => (c.Name, c.Distance, Text: string.Join(".", segments.Take(broken).Concat(new[] { c.Name }).Concat(segments.Skip(broken + 1)))))
                .Where(c => resolver.Resolve(c.Text, annotated, requireLock: true, allowReturn: false, out _, out _, at) is not null)
                .OrderBy(c => c.Distance).ThenBy(c => c.Name, StringComparer.Ordinal)
                .Take(MaxCandidates)
                .Select(c => c.Text)
                .ToList();
        }

        private static ITypeSymbol? TypeOf(LockExpr prefix, ISymbol annotated)
        {
            if (!prefix.Members.IsEmpty)
            {
                return prefix.Members[prefix.Members.Length - 1] switch
                {
                    IFieldSymbol field => field.Type,
                    IPropertySymbol property => property.Type,
                    _ => null,
                };
            }

            var method = annotated as IMethodSymbol ?? (annotated as INamedTypeSymbol)?.DelegateInvokeMethod;
            return prefix.Kind switch
            {
                LockRootKind.Parameter when method is not null && prefix.ParameterOrdinal < method.Parameters.Length => method.Parameters[prefix.ParameterOrdinal].Type,
                LockRootKind.This => annotated as INamedTypeSymbol ?? annotated.ContainingType,
                LockRootKind.Static => prefix.StaticType,
                _ => null,
            };
        }

        /// <summary>The fields and properties of <paramref name="type"/> and its base types.</summary>
        private static void AddMembers(ITypeSymbol? type, HashSet<string> names)
        {
            for (var t = type; t is not null; t = t.BaseType)
            {
                foreach (var member in t.GetMembers())
                {
                    if (member is IFieldSymbol { IsImplicitlyDeclared: false } or IPropertySymbol { IsIndexer: false })
                    {
                        names.Add(member.Name);
                    }
                }
            }
        }

        /// <summary>Levenshtein distance.</summary>
        private static int Distance(string a, string b)
        {
            var previous = Enumerable.Range(0, b.Length + 1).ToArray();
            for (var i = 1; i <= a.Length; i++)
            {
                var current = new int[b.Length + 1];
                current[0] = i;
                for (var j = 1; j <= b.Length; j++)
                {
                    var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                    current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
                }

                previous = current;
            }

            return previous[b.Length];
        }

        private sealed class Found
        {
            public Found(LiteralExpressionSyntax literal, IReadOnlyList<string> candidates)
            {
                Literal = literal;
                Candidates = candidates;
            }

            public LiteralExpressionSyntax Literal { get; }

            public IReadOnlyList<string> Candidates { get; }
        }
    }
}
