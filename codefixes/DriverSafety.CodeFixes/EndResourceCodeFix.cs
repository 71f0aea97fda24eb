using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DriverSafety.CodeFixes.Support;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;

namespace DriverSafety.CodeFixes
{
    /// <summary>
    /// DRV3001: "End 'pinned' on 'obj' before this exit" — before the leaking <c>return</c>, <c>throw</c> or closing brace,
    /// the call that ends the resource: a method of the begin's type (or of the target's) annotated <c>[Ends]</c> for the
    /// same resource, its target the finding's, and every other argument the one the begin was given for the parameter of
    /// the same name — or, for an <c>out</c> parameter of the begin (<c>out var handle</c>), the value it produced — as
    /// <c>Match</c> requires (<c>Dma.FreeCoherent(dev, 4096, buf, handle)</c>). Offered only where every argument can be
    /// written so (a local, a parameter, a member path or a constant) and the analysis of the edited body confirms the
    /// finding is gone and nothing else got worse.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(EndResourceCodeFix))]
    [Shared]
    public sealed class EndResourceCodeFix : CodeFixProvider
    {
        public const string EquivalenceKey = nameof(EndResourceCodeFix);
        private const string Id = "DRV3001";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Id);

        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            foreach (var diagnostic in context.Diagnostics)
            {
                if (MessageArguments.Of(diagnostic, 0) is not { } resource || MessageArguments.Of(diagnostic, 1) is not { } target || diagnostic.AdditionalLocations.Count == 0)
                {
                    continue;
                }

                var edited = await FixAsync(context.Document, diagnostic, resource, target, context.CancellationToken).ConfigureAwait(false);
                if (edited is not null)
                {
                    context.RegisterCodeFix(CodeAction.Create($"End '{resource}' on '{target}' before this exit", _ => Task.FromResult(edited), EquivalenceKey), diagnostic);
                }
            }
        }

        private static async Task<Document?> FixAsync(Document document, Diagnostic diagnostic, string resource, string target, CancellationToken cancellation)
        {
            var root = await document.GetSyntaxRootAsync(cancellation).ConfigureAwait(false);
            var model = await document.GetSemanticModelAsync(cancellation).ConfigureAwait(false);
            if (root is null || model is null)
            {
                return null;
            }

            var beginSyntax = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).AncestorsAndSelf().OfType<InvocationExpressionSyntax>().FirstOrDefault();
            if (beginSyntax is null || model.GetOperation(beginSyntax, cancellation) is not IInvocationOperation begin ||
                BodyCheck.EnclosingMember(beginSyntax) is not { } member)
            {
                return null;
            }

            var exits = diagnostic.AdditionalLocations.Where(l => l.SourceTree == root.SyntaxTree).Select(l => Exit(root, l)).ToList();
            if (exits.Count == 0 || exits.Any(e => e is null) || End(model, begin, resource, target, exits[0]!.SpanStart, cancellation) is not { } end)
            {
                return null;
            }

            return await BodyCheck.EditAsync(document, member, marked =>
            {
                var current = marked;
                foreach (var exit in exits.OrderByDescending(e => e!.SpanStart))
                {
                    var node = current.FindNode(exit!.Span, getInnermostNodeForTie: true).AncestorsAndSelf().FirstOrDefault(n => n.Span == exit.Span && n.RawKind == exit.RawKind);
                    switch (node)
                    {
                        case BlockSyntax block:
                            current = current.ReplaceNode(block, block.AddStatements(end.WithAdditionalAnnotations(Formatter.Annotation)));
                            break;
                        case StatementSyntax statement:
                            var statements = LockCode.KeepTrivia(statement, new[] { end, statement.WithoutLeadingTrivia().WithoutTrailingTrivia() }
                                .Select(s => s.WithAdditionalAnnotations(Formatter.Annotation)).ToArray());
                            current = LockCode.ReplaceStatement(current, statement, statements);
                            break;
                        default:
                            return null;
                    }
                }

                return current;
            }, Id, cancellation).ConfigureAwait(false);
        }

        /// <summary>The exit an additional location marks: a <c>return</c> or <c>throw</c> statement, or the block whose closing brace it is.</summary>
        private static SyntaxNode? Exit(SyntaxNode root, Location location)
        {
            var token = root.FindToken(location.SourceSpan.Start);
            if (token.IsKind(SyntaxKind.CloseBraceToken) && token.Parent is BlockSyntax block && token.Span == location.SourceSpan)
            {
                return block;
            }

            return root.FindNode(location.SourceSpan, getInnermostNodeForTie: true).AncestorsAndSelf()
                .FirstOrDefault(n => n is ReturnStatementSyntax or ThrowStatementSyntax && n.Span == location.SourceSpan);
        }

        /// <summary>The statement that ends <paramref name="resource"/> on <paramref name="target"/>, with the begin's arguments where <c>Match</c> needs them.</summary>
        private static StatementSyntax? End(SemanticModel model, IInvocationOperation begin, string resource, string target, int position, CancellationToken cancellation)
        {
            var targetType = model.GetSpeculativeTypeInfo(position, SyntaxFactory.ParseExpression(target), SpeculativeBindingOption.BindAsExpression).Type;
            var types = new[] { begin.TargetMethod.ContainingType, targetType }.Where(t => t is not null).Distinct(SymbolEqualityComparer.Default).Cast<ITypeSymbol>();
            foreach (var type in types)
            {
                foreach (var method in type.GetMembers().OfType<IMethodSymbol>().OrderBy(m => m.Parameters.Length))
                {
                    var ends = method.GetAttributes().FirstOrDefault(a => IsDriverSafety(a, "EndsAttribute") && a.ConstructorArguments.Length == 1 && a.ConstructorArguments[0].Value as string == resource);
                    if (ends is null || !model.IsAccessible(position, method))
                    {
                        continue;
                    }

                    var endTarget = ends.NamedArguments.FirstOrDefault(p => p.Key == "Target").Value.Value as string ?? "this";
                    if (Call(model, begin, method, endTarget, target, position, cancellation) is { } call)
                    {
                        return SyntaxFactory.ExpressionStatement(call);
                    }
                }
            }

            return null;
        }

        private static InvocationExpressionSyntax? Call(SemanticModel model, IInvocationOperation begin, IMethodSymbol end, string endTarget, string target, int position, CancellationToken cancellation)
        {
            ExpressionSyntax receiver;
            if (end.IsStatic)
            {
                receiver = SyntaxFactory.ParseExpression(end.ContainingType.ToMinimalDisplayString(model, position));
            }
            else if (endTarget == "this")
            {
                receiver = SyntaxFactory.ParseExpression(target);
            }
            else
            {
                return null;
            }

            var arguments = new List<ArgumentSyntax>();
            foreach (var parameter in end.Parameters)
            {
                if (parameter.Name == endTarget)
                {
                    arguments.Add(SyntaxFactory.Argument(SyntaxFactory.ParseExpression(target)));
                    continue;
                }

                var given = begin.Arguments.FirstOrDefault(a => a.Parameter?.Name == parameter.Name);
                if (given is null || Written(given, cancellation) is not { } value)
                {
                    return null;
                }

                arguments.Add(SyntaxFactory.Argument(value));
            }

            return SyntaxFactory.InvocationExpression(
                SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, receiver, SyntaxFactory.IdentifierName(end.Name)),
                SyntaxFactory.ArgumentList(SyntaxFactory.SeparatedList(arguments)));
        }

        /// <summary>How the end call writes what the begin was given: the same local, parameter, member path or constant, or the variable an <c>out</c> argument set.</summary>
        private static ExpressionSyntax? Written(IArgumentOperation argument, CancellationToken cancellation)
        {
            if (argument.Parameter?.RefKind == RefKind.Out)
            {
                return argument.Value switch
                {
                    IDeclarationExpressionOperation { Expression: ILocalReferenceOperation declared } => SyntaxFactory.IdentifierName(declared.Local.Name),
                    ILocalReferenceOperation local => SyntaxFactory.IdentifierName(local.Local.Name),
                    IParameterReferenceOperation parameter => SyntaxFactory.IdentifierName(parameter.Parameter.Name),
                    _ => null,
                };
            }

            var value = argument.Value;
            while (value is IConversionOperation { IsImplicit: true } conversion)
            {
                value = conversion.Operand;
            }

            return value.ConstantValue.HasValue || IsPath(value) ? SyntaxFactory.ParseExpression(value.Syntax.ToString()) : null;
        }

        private static bool IsPath(IOperation operation) => operation switch
        {
            ILocalReferenceOperation or IParameterReferenceOperation or IInstanceReferenceOperation => true,
            IFieldReferenceOperation field => field.Instance is null || IsPath(field.Instance),
            IPropertyReferenceOperation { Arguments.IsEmpty: true } property => property.Instance is null || IsPath(property.Instance),
            _ => false,
        };

        private static bool IsDriverSafety(AttributeData attribute, string name) =>
            attribute.AttributeClass?.Name == name && attribute.AttributeClass.ContainingNamespace?.Name == "DriverSafety";
    }
}
