package http

// The shapes of the Lambda API (2015-03-31) this server answers with, by
// the names of Lambda's model: the AWS CLI and SDKs decode them as they
// decode Lambda's own answers.

// awsFunctionConfiguration is Lambda's FunctionConfiguration.
type awsFunctionConfiguration struct {
	FunctionName               string          `json:"FunctionName"`
	FunctionArn                string          `json:"FunctionArn"`
	Runtime                    string          `json:"Runtime,omitempty"`
	Role                       string          `json:"Role,omitempty"`
	Handler                    string          `json:"Handler,omitempty"`
	CodeSize                   int64           `json:"CodeSize"`
	Description                string          `json:"Description"`
	Timeout                    int             `json:"Timeout"`
	MemorySize                 int             `json:"MemorySize"`
	LastModified               string          `json:"LastModified"`
	CodeSha256                 string          `json:"CodeSha256"`
	Version                    string          `json:"Version"`
	Environment                *awsEnvironment `json:"Environment,omitempty"`
	TracingConfig              awsTracing      `json:"TracingConfig"`
	RevisionID                 string          `json:"RevisionId"`
	State                      string          `json:"State"`
	StateReason                string          `json:"StateReason,omitempty"`
	StateReasonCode            string          `json:"StateReasonCode,omitempty"`
	LastUpdateStatus           string          `json:"LastUpdateStatus"`
	LastUpdateStatusReason     string          `json:"LastUpdateStatusReason,omitempty"`
	LastUpdateStatusReasonCode string          `json:"LastUpdateStatusReasonCode,omitempty"`
	PackageType                string          `json:"PackageType"`
	Architectures              []string        `json:"Architectures"`
	EphemeralStorage           awsStorage      `json:"EphemeralStorage"`
}

type awsEnvironment struct {
	Variables map[string]string `json:"Variables"`
}

type awsTracing struct {
	Mode string `json:"Mode"`
}

type awsStorage struct {
	Size int `json:"Size"`
}

// awsGetFunctionOutput is GetFunction's answer.
type awsGetFunctionOutput struct {
	Configuration awsFunctionConfiguration `json:"Configuration"`
	Code          awsCodeLocation          `json:"Code"`
	Concurrency   *awsConcurrency          `json:"Concurrency,omitempty"`
}

type awsCodeLocation struct {
	RepositoryType   string `json:"RepositoryType"`
	Location         string `json:"Location,omitempty"`
	ImageURI         string `json:"ImageUri,omitempty"`
	ResolvedImageURI string `json:"ResolvedImageUri,omitempty"`
}

// awsConcurrency is the body of Put/GetFunctionConcurrency and part of
// GetFunction's answer.
type awsConcurrency struct {
	ReservedConcurrentExecutions *int `json:"ReservedConcurrentExecutions,omitempty"`
}

type awsListFunctionsOutput struct {
	Functions  []awsFunctionConfiguration `json:"Functions"`
	NextMarker *string                    `json:"NextMarker,omitempty"`
}

type awsListVersionsOutput struct {
	Versions   []awsFunctionConfiguration `json:"Versions"`
	NextMarker *string                    `json:"NextMarker,omitempty"`
}

// awsFunctionCode is the Code of CreateFunction and the body of
// UpdateFunctionCode (which adds Publish and the fields around it).
type awsFunctionCode struct {
	ZipFile  []byte `json:"ZipFile"` // base64 in JSON, as encoding/json reads []byte
	ImageURI string `json:"ImageUri"`
}

// awsCreateFunctionInput is CreateFunction's body, the supported part.
type awsCreateFunctionInput struct {
	FunctionName string          `json:"FunctionName"`
	Runtime      string          `json:"Runtime"`
	Role         string          `json:"Role"`
	Handler      string          `json:"Handler"`
	Code         awsFunctionCode `json:"Code"`
	Description  string          `json:"Description"`
	Timeout      *int            `json:"Timeout"`
	MemorySize   *int            `json:"MemorySize"`
	Publish      bool            `json:"Publish"`
	PackageType  string          `json:"PackageType"`
	Environment  *awsEnvironment `json:"Environment"`
}

type awsUpdateCodeInput struct {
	awsFunctionCode
	Publish    bool   `json:"Publish"`
	DryRun     bool   `json:"DryRun"`
	RevisionID string `json:"RevisionId"`
}

// awsUpdateConfigInput is UpdateFunctionConfiguration's body: a nil field
// stays as it is.
type awsUpdateConfigInput struct {
	Runtime     *string         `json:"Runtime"`
	Role        *string         `json:"Role"`
	Handler     *string         `json:"Handler"`
	Description *string         `json:"Description"`
	Timeout     *int            `json:"Timeout"`
	MemorySize  *int            `json:"MemorySize"`
	Environment *awsEnvironment `json:"Environment"`
	RevisionID  string          `json:"RevisionId"`
}

type awsPublishVersionInput struct {
	CodeSha256  string `json:"CodeSha256"`
	Description string `json:"Description"`
	RevisionID  string `json:"RevisionId"`
}

// awsEventInvokeConfig is Put/Get/UpdateFunctionEventInvokeConfig's body
// and answer.
type awsEventInvokeConfig struct {
	FunctionArn              string                `json:"FunctionArn,omitempty"`
	LastModified             float64               `json:"LastModified,omitempty"` // epoch seconds
	MaximumRetryAttempts     *int                  `json:"MaximumRetryAttempts,omitempty"`
	MaximumEventAgeInSeconds *int                  `json:"MaximumEventAgeInSeconds,omitempty"`
	DestinationConfig        *awsDestinationConfig `json:"DestinationConfig,omitempty"`
}

type awsDestinationConfig struct {
	OnSuccess *awsDestination `json:"OnSuccess,omitempty"`
	OnFailure *awsDestination `json:"OnFailure,omitempty"`
}

type awsDestination struct {
	Destination string `json:"Destination,omitempty"`
}
