"""Flask-WTF forms: they parse and validate input, and never save anything.

One module per area; everything is importable from ``forum.forms``.
"""
from forum.forms.accounts import (  # noqa: F401
    ChangeEmailForm,
    ChangePasswordForm,
    ConfirmForm,
    DeleteAccountForm,
    ForgotPasswordForm,
    LoginForm,
    ReauthenticateForm,
    RegisterForm,
    ResendVerificationForm,
    ResetPasswordForm,
    SafetySettingsForm,
)
from forum.forms.admin import (  # noqa: F401
    CategoryEditForm,
    CategoryFields,
    CategoryForm,
    CategoryMergeForm,
    CategoryMoveForm,
    CategoryReorderForm,
    MemberSearchForm,
    SetLevelForm,
    settings_form,
)
from forum.forms.credentials import CredentialForm, CredentialReasonForm, VerifyCredentialForm  # noqa: F401
from forum.forms.fields import (  # noqa: F401
    GUEST_EMAIL_HELP,
    GUEST_NAME_HELP,
    GuestFields,
    no_control_characters,
    strip_text,
    valid_token_or_none,
)
from forum.forms.moderation import (  # noqa: F401
    AddressBlockForm,
    BlockForm,
    CloseForm,
    FlagForm,
    MergeForm,
    PhraseForm,
    PostAddressBlockForm,
    QueueActionForm,
    ReasonForm,
    ResourcesForm,
    RiskReportForm,
)
from forum.forms.posting import (  # noqa: F401
    AnswerForm,
    AskForm,
    CommentForm,
    EditForm,
    PostForm,
    PreviewForm,
    SearchForm,
)
