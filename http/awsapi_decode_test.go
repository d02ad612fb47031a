package http

import (
	"archive/zip"
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

var createFields = []string{"FunctionName", "Runtime", "Role", "Handler", "Code.ZipFile", "Code.ImageUri",
	"Description", "Timeout", "MemorySize", "Publish", "PackageType", "Environment.Variables"}

func TestDecodeAWSBody(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		outcome    string // X-Amzn-ErrorType; "" for success
		msg        string
	}{
		{name: "empty", body: ""},
		{name: "plain", body: `{"FunctionName":"f","Code":{"ZipFile":"UEsDBA=="},"Environment":{"Variables":{"A":"1"}}}`},
		{name: "defaults pass", body: `{"FunctionName":"f","Layers":[],"TracingConfig":{"Mode":"PassThrough"},"VpcConfig":{"SubnetIds":[],"SecurityGroupIds":[]},"Tags":null}`},
		{name: "layers", body: `{"FunctionName":"f","Layers":["arn:aws:lambda:us-east-1:000000000000:layer:x:1"]}`, outcome: "InvalidParameterValueException", msg: "Layers is not supported"},
		{name: "vpc", body: `{"VpcConfig":{"SubnetIds":["s-1"]}}`, outcome: "InvalidParameterValueException", msg: "VpcConfig is not supported"},
		{name: "snapstart", body: `{"SnapStart":{"ApplyOn":"PublishedVersions"}}`, outcome: "InvalidParameterValueException", msg: "SnapStart"},
		{name: "code signing", body: `{"CodeSigningConfigArn":"arn:x"}`, outcome: "InvalidParameterValueException", msg: "CodeSigningConfigArn"},
		{name: "s3 code", body: `{"Code":{"S3Bucket":"b","S3Key":"k"}}`, outcome: "InvalidParameterValueException", msg: "Code.S3Bucket"},
		{name: "unknown", body: `{"Frobnicate":1}`, outcome: "InvalidParameterValueException", msg: "Frobnicate is not a parameter"},
		{name: "arm64", body: `{"Architectures":["arm64"]}`, outcome: "InvalidParameterValueException", msg: "Architectures"},
		{name: "not JSON", body: `{"FunctionName":`, outcome: "InvalidRequestContentException", msg: "Could not parse"},
		{name: "not an object", body: `[1]`, outcome: "InvalidRequestContentException", msg: "Could not parse"},
		{name: "wrong type", body: `{"Timeout":"ten"}`, outcome: "InvalidRequestContentException", msg: "Could not parse"},
		{name: "zip not base64", body: `{"Code":{"ZipFile":"%%%"}}`, outcome: "InvalidRequestContentException", msg: "Could not parse"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var in awsCreateFunctionInput
			err := decodeAWSBody([]byte(tc.body), &in, createFields...)
			if tc.outcome == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ae *awsError
			if !errors.As(err, &ae) || ae.o.name != tc.outcome || !strings.Contains(ae.msg, tc.msg) {
				t.Fatalf("err = %v, want %s naming %q", err, tc.outcome, tc.msg)
			}
		})
	}
}

func TestPrepareAWSDeploy(t *testing.T) {
	py := zipOf(t, map[string]string{"app/main.py": "def h(e, c): return e"})
	for _, tc := range []struct {
		name    string
		sp      awsSpec
		outcome string // "" for success
		msg     string
	}{
		{"python", awsSpec{runtime: "python3.12", handler: "app.main.h", code: awsFunctionCode{ZipFile: py}, memoryMB: 128, timeoutS: 3}, "", ""},
		{"python by path", awsSpec{runtime: "python3.9", handler: "app/main.h", code: awsFunctionCode{ZipFile: py}, memoryMB: 128, timeoutS: 3}, "", ""},
		{"handler missing", awsSpec{runtime: "python3.12", handler: "other.h", code: awsFunctionCode{ZipFile: py}, memoryMB: 128, timeoutS: 3}, "InvalidParameterValueException", "other.py"},
		{"no bootstrap", awsSpec{runtime: "provided.al2023", handler: "bootstrap", code: awsFunctionCode{ZipFile: py}, memoryMB: 128, timeoutS: 3}, "InvalidParameterValueException", "bootstrap"},
		{"java", awsSpec{runtime: "java21", handler: "x::y", code: awsFunctionCode{ZipFile: py}, memoryMB: 128, timeoutS: 3}, "InvalidParameterValueException", "provided.al2023"},
		{"corrupt", awsSpec{runtime: "nodejs20.x", handler: "index.handler", code: awsFunctionCode{ZipFile: []byte("nope")}, memoryMB: 128, timeoutS: 3}, "InvalidParameterValueException", "Could not unzip"},
		{"no runtime", awsSpec{handler: "index.handler", code: awsFunctionCode{ZipFile: py}, memoryMB: 128, timeoutS: 3}, "InvalidParameterValueException", "mandatory"},
		{"no code", awsSpec{runtime: "python3.12", handler: "a.b", memoryMB: 128, timeoutS: 3}, "InvalidParameterValueException", "source for function code"},
		{"memory", awsSpec{runtime: "python3.12", handler: "app.main.h", code: awsFunctionCode{ZipFile: py}, memoryMB: 64, timeoutS: 3}, "ValidationException", "memorySize"},
		{"timeout", awsSpec{runtime: "python3.12", handler: "app.main.h", code: awsFunctionCode{ZipFile: py}, memoryMB: 128, timeoutS: 901}, "ValidationException", "timeout"},
		{"image with runtime", awsSpec{runtime: "python3.12", code: awsFunctionCode{ImageURI: "img:1"}, memoryMB: 128, timeoutS: 3}, "InvalidParameterValueException", "PackageType Image"},
		{"reserved env", awsSpec{runtime: "python3.12", handler: "app.main.h", code: awsFunctionCode{ZipFile: py}, memoryMB: 128, timeoutS: 3, env: map[string]string{"1BAD": "x"}}, "InvalidParameterValueException", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := prepareAWSDeploy(tc.sp, nil)
			if tc.outcome == "" {
				if err != nil || c.sum == "" || c.req.Code == nil {
					t.Fatalf("prepare: %v %+v", err, c)
				}
				return
			}
			o, msg := outcomeOf(lambda.ErrorCode(err)), lambda.ErrorMessage(err)
			var ae *awsError
			if errors.As(err, &ae) {
				o, msg = ae.o, ae.msg
			}
			if o.name != tc.outcome || !strings.Contains(msg, tc.msg) {
				t.Fatalf("err = %v (%s), want %s naming %q", err, o.name, tc.outcome, tc.msg)
			}
		})
	}
}

func TestApplyAWSAlias(t *testing.T) {
	desc := "d"
	for _, tc := range []struct {
		name    string
		in      awsAliasInput
		want    lambda.Alias
		outcome string
	}{
		{"plain", awsAliasInput{FunctionVersion: "3", Description: &desc}, lambda.Alias{Version: 3, Description: "d"}, ""},
		{"weighted", awsAliasInput{FunctionVersion: "3", RoutingConfig: &awsRoutingConfig{AdditionalVersionWeights: map[string]float64{"2": 0.1}}}, lambda.Alias{Version: 3, AdditionalVersion: 2, Weight: 0.1}, ""},
		{"weight over 1", awsAliasInput{FunctionVersion: "3", RoutingConfig: &awsRoutingConfig{AdditionalVersionWeights: map[string]float64{"2": 1.5}}}, lambda.Alias{}, "ValidationException"},
		{"two weights", awsAliasInput{FunctionVersion: "3", RoutingConfig: &awsRoutingConfig{AdditionalVersionWeights: map[string]float64{"1": 0.1, "2": 0.1}}}, lambda.Alias{}, "InvalidParameterValueException"},
		{"latest", awsAliasInput{FunctionVersion: "$LATEST"}, lambda.Alias{}, "InvalidParameterValueException"},
		{"no version", awsAliasInput{}, lambda.Alias{}, "ValidationException"},
		{"bad version", awsAliasInput{FunctionVersion: "01"}, lambda.Alias{}, "InvalidParameterValueException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a lambda.Alias
			err := applyAWSAlias(&a, tc.in, true)
			var ae *awsError
			switch {
			case tc.outcome == "" && (err != nil || a != tc.want):
				t.Fatalf("got %+v, %v; want %+v", a, err, tc.want)
			case tc.outcome != "" && (!errors.As(err, &ae) || ae.o.name != tc.outcome):
				t.Fatalf("err = %v, want %s", err, tc.outcome)
			}
		})
	}
}

// FuzzDecodeAWSBody: any body of any operation decodes or is refused with
// one of Lambda's client exceptions, never a panic or a server error.
func FuzzDecodeAWSBody(f *testing.F) {
	f.Add(`{"FunctionName":"f","Code":{"ZipFile":"UEsDBA=="},"Environment":{"Variables":{"A":"1"}}}`)
	f.Add(`{"Layers":["x"],"VpcConfig":{"SubnetIds":[]}}`)
	f.Add(`{"Name":"a","FunctionVersion":"1","RoutingConfig":{"AdditionalVersionWeights":{"2":0.5}}}`)
	f.Add(`{"DestinationConfig":{"OnFailure":{"Destination":"arn:aws:lambda:us-east-1:000000000000:function:x"}}}`)
	f.Fuzz(func(t *testing.T, body string) {
		check := func(err error) {
			if err == nil {
				return
			}
			var ae *awsError
			if !errors.As(err, &ae) || ae.o.status != 400 && ae.o.status != 412 {
				t.Fatalf("%q: %v", body, err)
			}
		}
		var c awsCreateFunctionInput
		check(decodeAWSBody([]byte(body), &c, createFields...))
		var a awsAliasInput
		if err := decodeAWSBody([]byte(body), &a, "Name", "FunctionVersion", "Description", "RoutingConfig.AdditionalVersionWeights"); err == nil {
			var al lambda.Alias
			check(applyAWSAlias(&al, a, true))
		}
		var e awsEventInvokeConfig
		if err := decodeAWSBody([]byte(body), &e, eventInvokeFields...); err == nil {
			_, err := (&Server{}).eventInvokePatch(e, true)
			if err != nil && lambda.ErrorCode(err) != lambda.EINVALID {
				check(err)
			}
		}
	})
}

func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(content))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
